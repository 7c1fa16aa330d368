import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { HostileBody } from './hostile-requests.ts';
import { assertNoLeak, takeSnapshot, type ApiAnswer, type StateSnapshot } from './state-snapshot.ts';
import type { TestServer } from './test-server.ts';

/** Mutual TLS to the device listener: the trusted root, and the device's certificate and key unless anonymous. */
export interface DeviceTls {
  ca: string;
  cert?: string;
  key?: string;
}

/** One hostile request to a device route, over a new TLS connection; a JSON answer parsed. */
export function deviceCall(url: string, method: 'GET' | 'POST', tls: DeviceTls, body: HostileBody): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body.contentType === undefined ? {} : { 'content-type': body.contentType };
    const req = request(url, { method, headers, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const type = res.headers['content-type'] ?? '';
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, type, body: type.includes('json') && text ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end(method === 'POST' ? body.body : undefined);
  });
}

/**
 * What every case of a device-route fuzz suite checks (DESIGN rule 5): never a 5xx, no stack or
 * cause leaked, every refusal a problem with a code; and the database against the snapshot before
 * the case — a refusal, or a call that never writes, leaves it as it was, unless the suite's
 * `judged` says the change is one it checked itself (an attestation failure's result and event).
 */
export class DeviceRouteCases {
  cases = 0;
  #state: StateSnapshot | undefined;
  readonly #server: Pick<TestServer, 'tp'>;

  constructor(server: Pick<TestServer, 'tp'>) {
    this.#server = server;
  }

  /** Takes the snapshot the next case is compared with (after set-up that writes, such as a nonce issued). */
  async settle(): Promise<void> {
    this.#state = await takeSnapshot(this.#server);
  }

  async check(
    what: string,
    answer: ApiAnswer,
    success: 'writes' | 'never',
    judged?: (now: StateSnapshot, before: StateSnapshot) => boolean,
  ): Promise<void> {
    this.cases++;
    assert.ok(answer.status < 500, `${what} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    assertNoLeak(answer, what);
    const before = this.#state ?? assert.fail('settle() before the first case');
    const now = await takeSnapshot(this.#server);
    if (answer.status >= 400) {
      assert.match(answer.type, /^application\/problem\+json/, `${what} → ${answer.status}: a refusal is a problem`);
      assert.equal(typeof (answer.body as { code?: unknown }).code, 'string', `${what}: with a code`);
    }
    if (!(judged?.(now, before) ?? false) && (answer.status >= 400 || success === 'never'))
      assert.deepEqual(now, before, `${what} → ${answer.status} changed the database`);
    this.#state = now;
  }
}
