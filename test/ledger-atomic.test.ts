// Issue 3, item 5 (DESIGN rule 1): a mutation whose ledger append fails leaves no state change behind —
// the event is written in the mutation's own transaction, so when the database refuses the event, the
// device and certificate changes roll back with it, and the log has no hole where it would have been.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { changeDeviceState, registerDevices } from '../src/pki/devices.ts';
import type { IdentityContext } from '../src/pki/identity-context.ts';
import type { IdentityStore, IdentityUnitOfWork } from '../src/pki/identity-store.types.ts';
import type { EventInput } from '../src/pki/records.types.ts';
import { databaseTargets } from './support/databases.ts';
import { Workdir } from './support/openssl.ts';
import { takeSnapshot } from './support/state-snapshot.ts';
import { startTestServer, type TestServer } from './support/test-server.ts';

/** Forwards everything, binding methods to the real object (its private fields stay reachable). */
function forwarding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/**
 * A store whose units of work record events the database cannot store: jsonb refuses the NUL
 * character (PostgreSQL: "unsupported Unicode escape sequence"), so the event append fails.
 */
const poisoned = (e: EventInput): EventInput => ({ ...e, details: { ...e.details, note: 'nul \u0000 here' } });

function poisonedContext(ctx: IdentityContext): IdentityContext {
  const poison = (uow: IdentityUnitOfWork): IdentityUnitOfWork =>
    forwarding(uow, {
      recordEvents: (events) => uow.recordEvents(events.map(poisoned)),
      // a lifecycle change writes its event in the same statement as its state
      writeIssuance: (writes) => uow.writeIssuance({ ...writes, events: writes.events.map(poisoned) }),
    });
  const store = forwarding<IdentityStore>(ctx.store, {
    unitOfWork: (fn, options) => ctx.store.unitOfWork((uow) => fn(poison(uow)), options),
  });
  return { ...ctx, store };
}

/** The database's own refusal of the event, not some earlier failure. */
const refused = /\\u0000|Unicode escape/;

for (const target of databaseTargets()) {
  describe(`a failed ledger append rolls the mutation back (${target.name})`, () => {
    let server: TestServer;
    let work: Workdir;
    before(async () => {
      server = await startTestServer({ target });
      work = await Workdir.create('tp-ledger-atomic-');
      await server.createProduct({ sku: 'at-1', name: 'Atomic', craClass: 'default', supportUntil: '2036-01-01' });
      assert.equal((await server.api('POST', '/v1/products/at-1/devices', { serial: 'D1' })).status, 201);
      const { csrPem } = await work.makeKeyAndCsr('d1', 'ecdsa-p256', '/CN=x');
      assert.equal((await server.api('POST', '/v1/products/at-1/devices/D1/enroll', { csr: csrPem })).status, 201);
      await server.tp.ledger.integrate();
    });
    after(async () => {
      await server?.destroy();
      await work?.remove();
    });

    const sequence = async (): Promise<number> =>
      Number(
        (await server.tp.database.db.selectFrom('event_sequence').select('next_seq').executeTakeFirstOrThrow())
          .next_seq,
      );

    it('revoke and register with an unstorable event change nothing; the next mutation gets the next seq', async () => {
      const tp = server.tp;
      const product = await tp.product('at-1');
      const actor = { kind: 'system', name: 'test' } as const;
      const bad = poisonedContext(tp.identity);
      const before = await takeSnapshot(server);
      const seqBefore = await sequence();
      assert.equal(before.certificates.filter((c) => c.status === 'good').length, 1, 'D1 holds a good certificate');

      await assert.rejects(
        changeDeviceState(bad, product, 'D1', { transition: 'revoke', reason: 'keyCompromise' }, actor),
        refused,
      );
      await assert.rejects(registerDevices(bad, product, [{ serial: 'D2' }], actor), refused);
      assert.deepEqual(await takeSnapshot(server), before, 'devices, certificates and events are as they were');
      assert.equal(await sequence(), seqBefore, 'no sequence number was spent');

      assert.equal(
        (await server.api('POST', '/v1/products/at-1/devices/D1/revoke', { reason: 'keyCompromise' })).status,
        200,
      );
      const after = await takeSnapshot(server);
      assert.equal(after.counts.events, before.counts.events + 1);
      assert.deepEqual(
        after.certificates.map((c) => c.status),
        ['revoked'],
      );
      const integrated = await tp.ledger.integrate();
      assert.equal(integrated.treeSize, seqBefore + 1);
      const [entry] = await tp.ledger.entries(seqBefore, seqBefore + 1);
      assert.equal(entry?.action, 'device.revoked');
      assert.equal((await tp.ledger.verify()).ok, true);
    });
  });
}
