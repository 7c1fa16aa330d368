// Fills the store for the vulnerability bench directly with SQL, where the API would take hours:
// the releases of each product with their SBOM component index (the rows indexRelease writes, purl
// keys computed by the register's own purl code and checked against sbomComponents), and the fleet:
// devices with the release each reports (device_releases), spread evenly over their product's releases.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createProduct } from '../src/pki/products.ts';
import type { ProductRecord } from '../src/pki/records.types.ts';
import type { Trustplane } from '../src/server/trustplane.ts';
import type { Database } from '../src/store/schema.types.ts';
import { componentPurl, parsePurl } from '../src/vulns/purl-key.ts';
import { sbomComponents } from '../src/vulns/sbom-components.ts';
import { cycloneDx, ProductSboms, releaseVersion, type BenchComponent, type BenchProduct } from './vulns-corpus.ts';

export interface SeededProduct {
  spec: BenchProduct;
  record: ProductRecord;
  sboms: ProductSboms;
  releases: { id: string; version: string }[];
}

interface IndexRow {
  name: string;
  purl: string | null;
  key: string | null;
  version: string;
  distro: string | null;
}

const actor = { kind: 'system', name: 'bench' } as const;
const releaseId = (): string => `rel_${randomBytes(10).toString('hex')}`;

/** Products, their releases and each release's component index, as release creation would leave them. */
export async function seedReleases(tp: Trustplane, specs: BenchProduct[], components: number): Promise<SeededProduct[]> {
  const db = tp.database.db;
  const keys = new Map<string, { key: string; distro: string | null }>();
  const indexRow = (c: BenchComponent): IndexRow => {
    if (c.purl === null || c.package === null) return { name: c.name, purl: null, key: null, version: c.version, distro: null };
    const cacheKey = c.package.join('/');
    let k = keys.get(cacheKey);
    if (!k) {
      const read = componentPurl(parsePurl(c.purl)!)!;
      k = { key: read.key, distro: read.distro ?? null };
      keys.set(cacheKey, k);
    }
    return { name: c.name, purl: c.purl, key: k.key, version: c.version, distro: k.distro };
  };
  const seeded: SeededProduct[] = [];
  for (const [index, spec] of specs.entries()) {
    await createProduct(tp.identity, { sku: spec.sku, name: spec.name, craClass: 'default', supportUntil: '2036-12-31' }, actor);
    const product: SeededProduct = { spec, record: await tp.product(spec.sku), sboms: new ProductSboms(index, spec, components), releases: [] };
    for (let r = 0; r < spec.releases; r++) {
      const rows = product.sboms.componentsAt(r).map(indexRow);
      if (r === 0) checkAgainstSbomComponents(spec, rows, product.sboms.componentsAt(0));
      const release = await insertRelease(db, product.record.id, r, rows);
      product.releases.push(release);
    }
    seeded.push(product);
  }
  return seeded;
}

/** A release row (published, with an SBOM) and its component index; returns its id and version. */
export async function insertRelease(db: Kysely<Database>, productId: string, r: number, rows: IndexRow[] | null): Promise<{ id: string; version: string }> {
  const id = releaseId();
  const version = releaseVersion(r);
  const sbom = JSON.stringify({ sha256: randomBytes(32).toString('hex'), specVersion: '1.6', components: rows?.length ?? 0 });
  await sql`insert into releases (id, product_id, version, security_version, kind, update_type, hardware, image_name, image_sha256, image_sha512, image_length, sbom, state, created_by, created_at, published_at)
    values (${id}, ${productId}, ${version}, ${r + 1}, 'firmware', 'security', '{}', 'firmware.bin', ${randomBytes(32).toString('hex')}, ${randomBytes(64).toString('hex')}, 1048576, ${sbom}::jsonb, 'published', 'bench', now(), now())`.execute(db);
  if (rows === null) return { id, version };
  await sql`insert into release_sbom_index (release_id, components, without_purl, invalid_purl, indexed_at) values (${id}, ${rows.length}, ${rows.filter((x) => x.purl === null).length}, 0, now())`.execute(db);
  const col = <T>(f: (x: IndexRow) => T): T[] => rows.map(f);
  await sql`insert into release_components (release_id, seq, name, purl, purl_key, version, distro)
    select ${id}, t.seq - 1, t.name, t.purl, t.purl_key, t.version, t.distro
    from unnest(${col((x) => x.name)}::text[], ${col((x) => x.purl)}::text[], ${col((x) => x.key)}::text[], ${col((x) => x.version)}::text[], ${col((x) => x.distro)}::text[]) with ordinality as t(name, purl, purl_key, version, distro, seq)`.execute(db);
  return { id, version };
}

/** The rows written must be those the register's own SBOM reading gives (sbom-components.ts). */
function checkAgainstSbomComponents(spec: BenchProduct, rows: IndexRow[], components: BenchComponent[]): void {
  const read = sbomComponents(cycloneDx(spec, releaseVersion(0), components), { strict: true }).components;
  rows.forEach((row, i) => {
    const c = read[i]!;
    if (c.name !== row.name || c.purl !== row.purl || c.key !== row.key || c.version !== row.version || c.distro !== row.distro) {
      throw new Error(`seeded component ${i} of ${spec.sku} differs from sbomComponents: ${JSON.stringify(row)} vs ${JSON.stringify(c)}`);
    }
  });
}

/** `devices` devices shared among the products by deviceShare, each reporting one of its product's releases. */
export async function seedFleet(db: Kysely<Database>, products: SeededProduct[], devices: number): Promise<void> {
  let lo = 1;
  const ranges = products.map((p, i) => {
    const n = i === products.length - 1 ? devices - lo + 1 : Math.round(devices * p.spec.deviceShare);
    const range = { productId: p.record.id, prefix: `${p.spec.sku.toUpperCase()}-`, lo, hi: lo + n - 1, releases: p.releases.length };
    lo += n;
    return range;
  });
  const col = <T>(f: (r: (typeof ranges)[number]) => T): T[] => ranges.map(f);
  const fleet = sql`unnest(${col((r) => r.productId)}::text[], ${col((r) => r.prefix)}::text[], ${col((r) => r.lo)}::bigint[], ${col((r) => r.hi)}::bigint[], ${col((r) => r.releases)}::bigint[]) as p(product_id, prefix, lo, hi, releases)`;
  // one device in 97 decommissioned: the affected-device list leaves them out
  await sql`insert into devices (id, product_id, serial, state, created_at, updated_at)
    select 'dev_' || lpad(to_hex(g), 20, '0'), p.product_id, p.prefix || lpad(g::text, 9, '0'), case when g % 97 = 0 then 'decommissioned' else 'active' end, now(), now()
    from generate_series(1::bigint, ${devices}::bigint) g join ${fleet} on g between p.lo and p.hi`.execute(db);
  const ordinals = products.flatMap((p) => p.releases.map((r, ordinal) => ({ productId: p.record.id, ordinal, id: r.id, version: r.version })));
  const ro = <T>(f: (r: (typeof ordinals)[number]) => T): T[] => ordinals.map(f);
  // Knuth's multiplicative hash modulo the release count: neighbouring serials report different releases
  await sql`insert into device_releases (device_id, release_id, version, security_version, highest_security_version, installed_at)
    select 'dev_' || lpad(to_hex(g), 20, '0'), ro.release_id, ro.version, ro.ordinal + 1, ro.ordinal + 1, now()
    from generate_series(1::bigint, ${devices}::bigint) g join ${fleet} on g between p.lo and p.hi
      join unnest(${ro((r) => r.productId)}::text[], ${ro((r) => r.ordinal)}::bigint[], ${ro((r) => r.id)}::text[], ${ro((r) => r.version)}::text[]) as ro(product_id, ordinal, release_id, version)
        on ro.product_id = p.product_id and ro.ordinal = (g * 2654435761) % p.releases`.execute(db);
}
