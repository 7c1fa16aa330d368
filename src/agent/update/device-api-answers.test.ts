import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generatedManifestKeys } from '../../updates/boot-manifest/testing/manifest-keys.ts';
import { buildRoot, requireRootPublishable, addRootSignature, signTufMetadata } from '../../updates/tuf/index.ts';
import { testKey } from '../../updates/tuf/testing/tuf-test-keys.ts';
import { AgentError } from '../agent-error.ts';
import { parseAssignmentAnswer, parseJsonAnswer, parseReportAnswer, parseTrustAnswer } from './device-api-answers.ts';

const officer = testKey();
const now = new Date();
const unsignedRoot = buildRoot({
  version: 1,
  expires: new Date(now.getTime() + 365 * 86_400_000),
  now,
  root: { keys: [officer.spki], threshold: 1 },
  targets: { keys: [testKey().spki], threshold: 1 },
  snapshot: { keys: [testKey('ecdsa-p256').spki] },
  timestamp: { keys: [testKey().spki] },
});
const root = requireRootPublishable(
  addRootSignature(unsignedRoot, signTufMetadata(unsignedRoot.signed, officer.privateKey)),
);
const keys = generatedManifestKeys();
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const trust = {
  product: 'GW-1',
  repository: 'http://127.0.0.1:8080/tuf/GW-1/',
  root: JSON.parse(JSON.stringify(root)) as unknown,
  manifestKeys: { ed25519: b64(keys.trust.ed25519Spki), mlDsa65: b64(keys.trust.mlDsa65Spki) },
};
const assignment = {
  serial: 'SN-0001',
  rolloutId: 'ro_1',
  releaseId: 'rel_1',
  targetName: 'firmware/2.4.1/fw.bin',
  version: '2.4.1',
  securityVersion: 7,
  kind: 'firmware',
  manifest: b64(new Uint8Array([1, 2, 3])),
};

const malformed = (f: () => unknown) =>
  assert.throws(f, (e: unknown) => e instanceof AgentError && e.code === 'DEVICE_API_ANSWER_MALFORMED');

describe('device API update answers (attacker-controlled)', () => {
  it('reads a trust answer: a self-signed root, the two manifest keys, the repository without a trailing slash', () => {
    const t = parseTrustAnswer(trust, 'GW-1');
    assert.equal(t.repository, 'http://127.0.0.1:8080/tuf/GW-1');
    assert.equal(t.manifestKeys.mlDsa65, trust.manifestKeys.mlDsa65);
  });
  it('refuses a trust answer for another product, with an unsigned root, swapped keys or a URL with credentials', () => {
    malformed(() => parseTrustAnswer(trust, 'GW-2'));
    malformed(() => parseTrustAnswer({ ...trust, root: JSON.parse(JSON.stringify(unsignedRoot)) }, 'GW-1'));
    malformed(() =>
      parseTrustAnswer(
        { ...trust, manifestKeys: { ed25519: trust.manifestKeys.mlDsa65, mlDsa65: trust.manifestKeys.ed25519 } },
        'GW-1',
      ),
    );
    malformed(() => parseTrustAnswer({ ...trust, repository: 'http://u:p@127.0.0.1/tuf' }, 'GW-1'));
    malformed(() => parseTrustAnswer({ ...trust, repository: 'file:///etc/passwd' }, 'GW-1'));
  });
  it('reads an assignment or none, and refuses a bad shape', () => {
    assert.equal(parseAssignmentAnswer({ assignment: null }), null);
    assert.deepEqual(parseAssignmentAnswer({ assignment })?.manifest, new Uint8Array([1, 2, 3]));
    malformed(() => parseAssignmentAnswer({}));
    malformed(() => parseAssignmentAnswer({ assignment: { ...assignment, targetName: '../../etc/passwd' } }));
    malformed(() => parseAssignmentAnswer({ assignment: { ...assignment, securityVersion: 2 ** 32 } }));
    malformed(() => parseAssignmentAnswer({ assignment: { ...assignment, kind: 'kernel' } }));
    malformed(() => parseAssignmentAnswer({ assignment: { ...assignment, serial: undefined } }));
    malformed(() => parseAssignmentAnswer({ assignment: { ...assignment, manifest: 'A'.repeat(100_000) } }));
    malformed(() => parseJsonAnswer(Buffer.alloc(200, 0x20), 100, 'x'));
    malformed(() => parseReportAnswer({ recorded: 'yes' }));
  });
  it('any JSON at all: an assignment, null, or DEVICE_API_ANSWER_MALFORMED, never another failure', () => {
    const field = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.double(),
      fc.array(fc.string()),
      fc.object(),
    );
    const near = fc.record(
      {
        rolloutId: field,
        releaseId: field,
        targetName: field,
        version: field,
        securityVersion: field,
        kind: field,
        manifest: field,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          near.map((a) => ({ assignment: a })),
        ),
        (v) => {
          try {
            parseAssignmentAnswer(parseJsonAnswer(Buffer.from(JSON.stringify(v) ?? 'null'), 128 * 1024, 'assignment'));
          } catch (e) {
            assert.ok(e instanceof AgentError && e.code === 'DEVICE_API_ANSWER_MALFORMED', String(e));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
