import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LengthOrHashMismatchError, UnsignedMetadataError } from '@tufjs/models/dist/error.js';
import {
  BadVersionError,
  DownloadHTTPError,
  DownloadLengthMismatchError,
  ExpiredMetadataError,
  RuntimeError,
} from 'tuf-js/dist/error.js';
import { tufFailure } from './tuf-refusals.ts';

// The messages are tuf-js 6.0.2's own (store.js, updater.js, @tufjs/models metadata.js, file.js).
const cases: [string, unknown, 'refresh' | 'download', string, string][] = [
  [
    'expired timestamp',
    new ExpiredMetadataError('Final timestamp.json is expired'),
    'refresh',
    'rejected',
    'TUF_EXPIRED',
  ],
  [
    'expired snapshot, wrapped',
    new RuntimeError('Unable to load snapshot metadata error Error: snapshot.json is expired'),
    'refresh',
    'rejected',
    'TUF_EXPIRED',
  ],
  [
    'root threshold',
    new UnsignedMetadataError('root was signed by 0/2 keys'),
    'refresh',
    'rejected',
    'TUF_SIGNATURE_THRESHOLD',
  ],
  [
    'targets threshold, wrapped',
    new RuntimeError('Unable to load targets error Error: targets was signed by 1/2 keys'),
    'refresh',
    'rejected',
    'TUF_SIGNATURE_THRESHOLD',
  ],
  [
    'timestamp rollback',
    new BadVersionError('New timestamp version 3 is less than current version 4'),
    'refresh',
    'rejected',
    'TUF_ROLLBACK',
  ],
  [
    'snapshot rollback, wrapped',
    new RuntimeError(
      'Unable to load snapshot metadata error Error: New version 1 of targets.json is less than current version 2',
    ),
    'refresh',
    'rejected',
    'TUF_ROLLBACK',
  ],
  [
    'mix-and-match',
    new RuntimeError('Unable to load targets error Error: Version 3 of targets does not match snapshot version 2'),
    'refresh',
    'rejected',
    'TUF_METADATA_MISMATCH',
  ],
  [
    'snapshot hash, wrapped',
    new RuntimeError('Unable to load snapshot metadata error Error: Expected hash aa but got bb'),
    'refresh',
    'rejected',
    'TUF_METADATA_MISMATCH',
  ],
  [
    'target hash',
    new LengthOrHashMismatchError('Expected hash aa but got bb'),
    'download',
    'rejected',
    'TUF_TARGET_MISMATCH',
  ],
  [
    'endless data',
    new DownloadLengthMismatchError('Max length reached'),
    'download',
    'rejected',
    'TUF_TARGET_MISMATCH',
  ],
  ['malformed metadata', new SyntaxError('Unexpected token < in JSON'), 'refresh', 'rejected', 'TUF_METADATA_INVALID'],
  ['404', new DownloadHTTPError('Failed to download', 404), 'download', 'unreachable', 'TUF_UNAVAILABLE'],
  ['connection refused', new TypeError('fetch failed'), 'refresh', 'unreachable', 'TUF_UNAVAILABLE'],
  [
    'refused, wrapped',
    new RuntimeError('Unable to load snapshot metadata error TypeError: fetch failed'),
    'refresh',
    'unreachable',
    'TUF_UNAVAILABLE',
  ],
];

describe('tuf-js failures as stable codes', () => {
  for (const [name, error, phase, kind, code] of cases)
    it(`${name} → ${code}`, () => {
      const e = tufFailure(error, phase);
      assert.equal(e.kind, kind);
      assert.equal(e.code, code);
    });
});
