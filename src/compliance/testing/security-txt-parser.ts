// A security.txt reader written from RFC 9116 for the tests (not trustplane's writer read backwards).
import assert from 'node:assert/strict';

/**
 * RFC 9116 §4: body = signed / unsigned; unsigned = *line (contact-field eol) *line (expires-field
 * eol) *line; line = [(field / comment)] eol; field = field-name ":" [WSP] unstructured (RFC 5322
 * ftext: printable ASCII but ":"); comment = "#" *(WSP / VCHAR / %x80-FFFFF); eol = *WSP [CR] LF.
 */
export function parseSecurityTxt(text: string): Map<string, string[]> {
  assert.ok(text.endsWith('\n'), 'every line ends with an eol');
  const fields = new Map<string, string[]>();
  for (const line of text.slice(0, -1).split('\n')) {
    const bare = line.replace(/[ \t]*\r?$/, '');
    if (bare === '' || /^#[\t\x20-\x7e\x80-\u{fffff}]*$/u.test(bare)) continue;
    const m = /^([\x21-\x39\x3b-\x7e]+):[ \t]?([\t\x20-\x7e]*)$/.exec(bare);
    assert.ok(m, `not a field or a comment: ${JSON.stringify(line)}`);
    const name = m[1]!.toLowerCase(); // §2.4: field names are case-insensitive
    fields.set(name, [...(fields.get(name) ?? []), m[2]!]);
  }
  // §2.5.3 Contact: one or more; §2.5.5 Expires: exactly once, an Internet date/time (RFC 3339)
  assert.ok((fields.get('contact') ?? []).length >= 1, 'Contact is required');
  assert.equal((fields.get('expires') ?? []).length, 1, 'Expires appears once');
  assert.match(fields.get('expires')![0]!, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  for (const name of ['policy', 'canonical']) for (const v of fields.get(name) ?? []) assert.match(v, /^https:\/\//, `${name} is https (§2.5.2, §2.5.7)`);
  for (const v of fields.get('contact')!) assert.match(v, /^(mailto:|https:\/\/)/, 'Contact is a URI; a web URI is https (§2.5.3)');
  assert.ok((fields.get('preferred-languages') ?? []).length <= 1, 'Preferred-Languages appears at most once (§2.5.8)');
  return fields;
}
