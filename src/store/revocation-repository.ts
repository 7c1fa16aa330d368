import { sql, type Kysely, type Selectable } from 'kysely';
import type { RevocationReason } from '../core/revocation-reason.ts';
import type {
  CertificateRevocationState,
  RevocationRow,
  RevocationStore,
  StoredCrl,
  StoredOcspResponse,
} from '../pki/revocation-store.types.ts';
import { bytes } from './identity-rows.ts';
import type { CrlsTable, Database } from './schema.types.ts';

/** The statuses a CRL lists; written as the partial index certificates_ca_not_good's predicate (migration 0004). */
const NOT_GOOD = sql<boolean>`status in ('hold', 'revoked', 'superseded')`;

/** The revocation capability's storage port, for PGlite and PostgreSQL. */
export class RevocationRepository implements RevocationStore {
  readonly #db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async currentSnapshot(): Promise<string> {
    const { rows } = await sql<{ snapshot: string }>`select pg_current_snapshot()::text as snapshot`.execute(this.#db);
    return rows[0]!.snapshot;
  }

  async latestCrl(caId: string, kind?: 'full' | 'delta'): Promise<StoredCrl | undefined> {
    let q = this.#db.selectFrom('crls').selectAll().where('ca_id', '=', caId);
    if (kind) q = q.where('kind', '=', kind);
    // The primary key (ca_id, crl_number) read backwards: the newest rows, never the history.
    const r = await q.orderBy('crl_number', 'desc').limit(1).executeTakeFirst();
    return r && toStoredCrl(r);
  }

  async revokedPage(caId: string, after: string, at: Date, limit: number): Promise<RevocationRow[]> {
    // RFC 5280 §3.3: an entry may leave the CRL once its certificate has expired (not_after).
    // One text value per page, not a row object per certificate: the embedded store's per-row
    // JavaScript is most of a page's cost (measured: 10,000 rows ~110 ms as rows, ~30 ms as text).
    const { rows } = await sql<{ page: string | null }>`select string_agg(serial || ',' || coalesce((extract(epoch from revoked_at) * 1000)::bigint::text, '')
        || ',' || coalesce(revocation_reason, '') || ',' || status, ';' order by serial) as page
      from (select serial, revoked_at, revocation_reason, status from certificates
        where ca_id = ${caId} and ${NOT_GOOD} and serial > ${after} and not_after > ${at.toISOString()}::timestamptz
        order by serial limit ${limit}) p`.execute(this.#db);
    const page = rows[0]?.page;
    if (!page) return [];
    return page.split(';').map((entry) => {
      const [serial = '', ms = '', reason = '', status = ''] = entry.split(',');
      return { serial, status: status as RevocationRow['status'], revokedAt: ms === '' ? null : new Date(Number(ms)), reason: reason === '' ? null : (reason as RevocationReason) };
    });
  }

  async changesSince(caId: string, snapshot: string): Promise<RevocationRow[]> {
    const rows = await sql<RowOf>`select serial, status, revoked_at, revocation_reason from certificates
      where ${changedAfter(caId, snapshot)} order by serial`.execute(this.#db);
    return rows.rows.map(toRevocationRow);
  }

  async hasChangesSince(caId: string, snapshot: string): Promise<boolean> {
    const { rows } = await sql`select 1 from certificates where ${changedAfter(caId, snapshot)} limit 1`.execute(this.#db);
    return rows.length > 0;
  }

  async saveCrl(crl: StoredCrl & { bytes: { partsId: string } }, parts: readonly Uint8Array[]): Promise<boolean> {
    const partsId = crl.bytes.partsId;
    // Part by part, each its own statement: a large CRL never holds the embedded store's one
    // connection for long, and never travels as one parameter.
    // Bytes as hex text decoded by the server: the drivers' own bytea serialisers run a JavaScript
    // loop per byte (seconds for a CRL of tens of megabytes), Buffer's hex is native.
    for (let i = 0; i < parts.length; i++) {
      await sql`insert into crl_parts (parts_id, part, bytes) values (${partsId}, ${i}, decode(${hex(parts[i]!)}, 'hex'))`.execute(this.#db);
    }
    const inserted = await this.#db
      .insertInto('crls')
      .values({
        ca_id: crl.caId,
        crl_number: crl.crlNumber.toString(),
        kind: crl.kind,
        base_crl_number: crl.baseCrlNumber?.toString() ?? null,
        this_update: crl.thisUpdate,
        next_update: crl.nextUpdate,
        covers_snapshot: crl.coversSnapshot,
        entries: crl.entries,
        byte_length: crl.byteLength,
        parts_id: partsId,
      })
      .onConflict((c) => c.columns(['ca_id', 'crl_number']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
    await this.#db.deleteFrom('crl_parts').where('parts_id', '=', partsId).execute();
    return false;
  }

  async *crlParts(crl: StoredCrl): AsyncIterable<Uint8Array> {
    if ('der' in crl.bytes) {
      yield crl.bytes.der;
      return;
    }
    // A few parts per round trip: bounded memory, whatever the CRL's size.
    for (let from = 0; ; from += PARTS_PER_READ) {
      const { rows } = await sql<{ hex: string }>`select encode(bytes, 'hex') as hex from crl_parts
        where parts_id = ${crl.bytes.partsId} and part >= ${from} and part < ${from + PARTS_PER_READ} order by part`.execute(this.#db);
      for (const r of rows) yield Buffer.from(r.hex, 'hex');
      if (rows.length < PARTS_PER_READ) return;
    }
  }

  async revocationState(caId: string, serial: string): Promise<CertificateRevocationState | undefined> {
    const r = await this.#db
      .selectFrom('certificates')
      .select(['status', 'revoked_at', 'revocation_reason', 'status_xid'])
      .where('serial', '=', serial)
      .where('ca_id', '=', caId)
      .executeTakeFirst();
    return r && { status: r.status, revokedAt: r.revoked_at, reason: r.revocation_reason as RevocationReason | null, statusXid: r.status_xid };
  }

  async findOcspResponse(caId: string, certId: Uint8Array): Promise<StoredOcspResponse | undefined> {
    // Valid only while it says what the certificate says now: the same status change (status_xid),
    // or, for an answer "unknown", still no such certificate.
    const r = await this.#db
      .selectFrom('ocsp_responses as r')
      .leftJoin('certificates as c', (j) => j.onRef('c.serial', '=', 'r.serial').onRef('c.ca_id', '=', 'r.ca_id'))
      .select(['r.ca_id', 'r.cert_id', 'r.serial', 'r.status', 'r.status_xid', 'r.responder_key_id', 'r.this_update', 'r.next_update', 'r.der'])
      .where('r.ca_id', '=', caId)
      .where('r.cert_id', '=', certId)
      .where((w) =>
        w.or([
          w.and([w('c.serial', 'is', null), w('r.status', '=', 'unknown')]),
          w.and([w('c.serial', 'is not', null), w('r.status', '<>', 'unknown'), sql<boolean>`c.status_xid is not distinct from r.status_xid`]),
        ]),
      )
      .executeTakeFirst();
    return (
      r && {
        caId: r.ca_id,
        certId: bytes(r.cert_id),
        serial: r.serial,
        status: r.status,
        statusXid: r.status_xid,
        responderKeyId: r.responder_key_id,
        thisUpdate: r.this_update,
        nextUpdate: r.next_update,
        der: bytes(r.der),
      }
    );
  }

  async saveOcspResponse(o: StoredOcspResponse): Promise<void> {
    const row = {
      ca_id: o.caId,
      cert_id: o.certId,
      serial: o.serial,
      status: o.status,
      status_xid: o.statusXid,
      responder_key_id: o.responderKeyId,
      this_update: o.thisUpdate,
      next_update: o.nextUpdate,
      der: o.der,
    };
    const { ca_id: _ca, cert_id: _id, ...update } = row;
    await this.#db
      .insertInto('ocsp_responses')
      .values(row)
      .onConflict((c) => c.columns(['ca_id', 'cert_id']).doUpdateSet(update))
      .execute();
  }

  async pruneOcspResponses(now: Date): Promise<number> {
    const r = await this.#db.deleteFrom('ocsp_responses').where('next_update', '<', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async dropOcspResponses(caId: string): Promise<void> {
    await this.#db.deleteFrom('ocsp_responses').where('ca_id', '=', caId).execute();
  }
}

const PARTS_PER_READ = 8;

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

type RowOf = { serial: string; status: RevocationRow['status']; revoked_at: Date | null; revocation_reason: string | null };

function toRevocationRow(r: RowOf): RevocationRow {
  return { serial: r.serial, status: r.status, revokedAt: r.revoked_at, reason: r.revocation_reason as RevocationReason | null };
}

/**
 * Certificates of the CA whose last status change `snapshot` did not see: committed after it was
 * taken, or in progress then. Any xid below the snapshot's xmin was visible to it, so the
 * certificates_status_changes index narrows the scan to the recent ones before the exact test.
 */
function changedAfter(caId: string, snapshot: string) {
  return sql<boolean>`ca_id = ${caId} and status_xid is not null
    and status_xid >= pg_snapshot_xmin(${snapshot}::pg_snapshot)
    and not pg_visible_in_snapshot(status_xid, ${snapshot}::pg_snapshot)`;
}

function toStoredCrl(r: Selectable<CrlsTable>): StoredCrl {
  const der = r.der === null ? undefined : bytes(r.der);
  return {
    caId: r.ca_id,
    crlNumber: BigInt(r.crl_number),
    kind: r.kind,
    baseCrlNumber: r.base_crl_number === null ? null : BigInt(r.base_crl_number),
    thisUpdate: r.this_update,
    nextUpdate: r.next_update,
    coversSnapshot: r.covers_snapshot,
    entries: r.entries === null ? null : Number(r.entries),
    byteLength: r.byte_length === null ? (der?.length ?? 0) : Number(r.byte_length),
    bytes: der ? { der } : { partsId: r.parts_id ?? '' },
  };
}
