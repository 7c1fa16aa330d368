import { comment } from 'cbor2';
import { parseCoseSign } from '../cose-sign.ts';

/**
 * Test kit: the annotated hex dump of a signed manifest for docs/reference/boot-manifest.md —
 * the envelope, then each byte string that holds CBOR of its own (headers, payload) decoded in turn.
 * Long byte strings (signatures) keep their first and last lines.
 */

const options = { noPrefixHex: true, minCol: 44 };

function elide(text: string, keep = 2): string {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(
      ...(run.length > keep * 2 + 1
        ? [
            ...run.slice(0, keep),
            `${run[0]?.match(/^\s*/)?.[0] ?? ''}… ${run.length - keep * 2} more lines of 8 bytes …`,
            ...run.slice(-keep),
          ]
        : run),
    );
    run = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*[0-9a-f]+$/.test(line) && !line.includes('--')) run.push(line);
    else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out.join('\n').trimEnd();
}

export function annotatedDump(signed: Uint8Array): string {
  const message = parseCoseSign(signed);
  const sections: [string, Uint8Array][] = [
    ['body protected header (envelope [0])', message.bodyProtected],
    ['payload (envelope [2])', message.payload],
    ...message.signatures.map((s, i): [string, Uint8Array] => [
      `signature ${i} protected header (envelope [3][${i}][0])`,
      s.protected,
    ]),
  ];
  return (
    [
      `# COSE_Sign envelope (${signed.length} bytes)`,
      elide(comment(signed, options), 3),
      ...sections.flatMap(([title, bytes]) => ['', `# ${title}`, comment(bytes, options).trimEnd()]),
    ].join('\n') + '\n'
  );
}
