/**
 * fast-check arbitraries for hostile HTTP requests: values for a JSON Schema (valid shapes with
 * hostile values, wrong types, boundary numbers, unicode edge cases), bodies (truncated,
 * oversized, wrong content type, bytes), and the wire form of each (a URL segment that may hold
 * a lone surrogate, a JSON text that may hold 1e400).
 */
import fc from 'fast-check';

export type JsonSchema = {
  /** a list: a nullable field (OpenAPI 3.1), e.g. ['string', 'null'] */
  type?: string | readonly string[];
  enum?: readonly unknown[];
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  items?: JsonSchema;
  pattern?: string;
  format?: string;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
};

/** Strings no well-behaved client sends, each aimed at a known way to break a server. */
const hostileStrings = [
  '\udfff', // lone low surrogate: UTF-8 cannot encode it
  '\ud800',
  'a\ud83db', // half an emoji
  '\u0000',
  'x\u0000y', // PostgreSQL text cannot hold NUL
  '\u202eevil\u202c', // right-to-left override
  '\u200f\u0627\u0644', // RTL mark and Arabic
  '\ufeff', // byte order mark
  '\u200b', // zero width space
  'e\u0301', // combining accent
  '🔐',
  '\uffff',
  '../../etc/passwd',
  "' or 1=1 --",
  '%00',
  '%ED%BF%BF',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  'a\r\nX-Injected: 1',
  ' ',
  '',
  'null',
  '0',
  '-1',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '0x10',
  '2035-02-30',
  '9999-12-31T23:59:60Z',
];

/** For the systematic sweep: each value put, one at a time, in every field of every route. */
export const edgeValues: readonly unknown[] = ['\udfff', 'a\ud800b', '\u0000', '\u202eevil', '\ufeff', '', 'x'.repeat(70_000), Infinity, -Infinity, Number.NaN, 2 ** 53 + 2, -1, 1.5, 0, null, true, [], {}];

/** For the sweep of query and path parameters: text as it appears in a URL (already encoded). */
export const edgeUrlTexts: readonly string[] = ['Infinity', '-Infinity', '1e400', '%ED%BF%BF', 'a%ED%A0%80b', '%00', '-1', '0x10', '1.5', '', '%E2%80%AEevil', 'x'.repeat(5000)];

/** One UTF-16 code unit of any value: lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(64, 65, 129, 200, 201, 4097, 70_000), fc.constantFrom('x', 'é', '\udfff', '🔐', '\u0000')).map(([n, c]) => c.repeat(n)) },
);

/** Numbers at the edges: of the schemas' bounds, of int32, of exact doubles, and beyond. */
export const boundaryNumbers = [0, -0, 1, -1, 59, 60, 61, 90, 91, 999, 1000, 1001, 3649, 3650, 3651, 10_000, 10_001, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1.5, 0.1, 1e308, Number.MIN_VALUE, Infinity, -Infinity, Number.NaN];

export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...boundaryNumbers) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
);

/** Any JSON-ish value, for a field given the wrong type. */
export const anyValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyString,
    anyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

/**
 * A value for `schema`: usually of its shape (the required fields, some optional ones, values
 * valid or hostile), sometimes of another type, an unknown field or a missing required one.
 */
export function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyValue;
  const shaped = shapedValue(schema, depth);
  return fc.oneof({ weight: 6, arbitrary: shaped }, { weight: 1, arbitrary: anyValue });
}

function shapedValue(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.type)) return fc.oneof(...(schema.type as string[]).map((type) => shapedValue({ ...schema, type }, depth)));
  if (schema.enum) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...schema.enum) }, { weight: 1, arbitrary: anyString });
  switch (schema.type) {
    case 'string':
      return fc.oneof({ weight: 2, arbitrary: plausibleString(schema) }, { weight: 3, arbitrary: anyString });
    case 'integer':
    case 'number': {
      const edges = [schema.minimum, schema.maximum].flatMap((b) => (b === undefined ? [] : [b - 1, b, b + 1]));
      return fc.oneof(fc.constantFrom(...(edges.length > 0 ? edges : [0])), anyNumber);
    }
    case 'boolean':
      return fc.oneof(fc.boolean(), anyValue);
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) + 1 });
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      return fc
        .record({
          fields: fc.tuple(...props.map(([name, s]) => fc.tuple(fc.constant(name), valueFor(s, depth + 1), fc.boolean()))),
          dropRequired: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...(required.size > 0 ? [...required] : [''])) }),
          extra: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(anyString, anyValue) }),
        })
        .map(({ fields, dropRequired, extra }) => {
          const out: Record<string, unknown> = {};
          for (const [name, value, include] of fields) if ((required.has(name) || include) && name !== dropRequired) out[name] = value;
          if (extra) out[extra[0]] = extra[1];
          return out;
        });
    }
    default:
      return anyValue;
  }
}

/** A string that may well pass the schema: a date for a date, a name-like token for a pattern. */
function plausibleString(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'date') return fc.constantFrom('2035-12-31', '2000-01-01', '1970-01-01', '2035-02-29');
  const max = schema.maxLength ?? 64;
  return fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/),
    fc.constantFrom('x'.repeat(Math.max(1, max)), 'x'.repeat(max + 1)),
  );
}

/** A value that satisfies `schema` (as far as a generator can tell): the baseline to break in one place. */
export function validValueFor(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant({});
  if (Array.isArray(schema.type)) return fc.oneof(...(schema.type as string[]).map((type) => validValueFor({ ...schema, type })));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'date') return fc.constantFrom('2035-12-31', '2030-06-01');
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.stringMatching(new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${Math.max(0, Math.min(schema.maxLength ?? 16, 16) - 1)}}$`));
    case 'integer':
    case 'number':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 1000, (schema.minimum ?? 0) + 1000) });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValueFor(schema.items), { minLength: 1, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      const props = schema.properties ?? {};
      const required = schema.required ?? [];
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValueFor(v)])), { requiredKeys: required.filter((k) => k in props) });
    }
    default:
      return fc.constant(null);
  }
}

/** What replaces the one value broken: a hostile string or number, another type, nothing. */
const replacement = fc.oneof(
  { weight: 4, arbitrary: anyString.map((v) => ({ v })) },
  { weight: 3, arbitrary: anyNumber.map((v) => ({ v })) },
  { weight: 2, arbitrary: anyValue.map((v) => ({ v })) },
  { weight: 1, arbitrary: fc.constant({ remove: true as const }) },
  { weight: 1, arbitrary: fc.tuple(anyString, anyValue).map(([key, v]) => ({ extra: key, v })) },
);

/** `value` with exactly one of its values (at any depth, the whole included) broken. */
export function oneHostile(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(valid, fc.nat(), replacement).map(([value, pick, r]) => {
    const root: { value: unknown } = { value: structuredClone(value) };
    const slots: { holder: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    const visit = (holder: Record<string, unknown> | unknown[], key: string | number): void => {
      slots.push({ holder, key });
      const v = (holder as Record<string | number, unknown>)[key];
      if (Array.isArray(v)) v.forEach((_, i) => visit(v, i));
      else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) visit(v as Record<string, unknown>, k);
    };
    visit(root, 'value');
    const { holder, key } = slots[pick % slots.length]!;
    const target = holder as Record<string | number, unknown>;
    if ('extra' in r) {
      const v = target[key];
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) (v as Record<string, unknown>)[r.extra] = r.v;
      else target[key] = r.v;
    } else if ('remove' in r) {
      if (Array.isArray(holder)) holder.splice(Number(key), 1);
      else delete target[key];
    } else target[key] = r.v;
    return root.value;
  });
}

/**
 * JSON text for `value`, keeping what JSON.stringify would lose: an infinite number as 1e400
 * (JSON.parse reads it back as Infinity), NaN as the bare word (not JSON at all).
 */
export function jsonText(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? '1e400' : '-1e400';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** One URL path segment or query value, percent-encoded; a lone surrogate as its (invalid) UTF-8 bytes. */
export function urlEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 1 && c >= 0xd800 && c <= 0xdfff) out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    else out += encodeURIComponent(ch);
  }
  return out;
}

export interface HostileBody {
  kind: string;
  contentType: string | undefined;
  body: string | Uint8Array | undefined;
}

/** Content types a JSON route does not take, or takes in a form it may choke on. */
const wrongContentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/problem+json',
  'application/jsonx',
  'application/json;;;',
  'text/json',
  'application/pkcs10',
  'application/ocsp-request',
];

export const oversizeBytes = 1024 * 1024 + 1;

/** A body for a route whose JSON body follows `schema`: mostly JSON of its shape, else broken in one way. */
export function bodyFor(schema: JsonSchema | undefined): fc.Arbitrary<HostileBody> {
  const json = valueFor(schema).map(jsonText);
  return fc.oneof(
    { weight: 12, arbitrary: oneHostile(validValueFor(schema)).map((v): HostileBody => ({ kind: 'valid but one value', contentType: 'application/json', body: jsonText(v) })) },
    { weight: 2, arbitrary: validValueFor(schema).map((v): HostileBody => ({ kind: 'valid', contentType: 'application/json', body: jsonText(v) })) },
    { weight: 6, arbitrary: json.map((body): HostileBody => ({ kind: 'json', contentType: 'application/json', body })) },
    {
      weight: 2,
      arbitrary: fc.tuple(json, fc.double({ min: 0, max: 1, noNaN: true })).map(([text, at]): HostileBody => ({ kind: 'truncated JSON', contentType: 'application/json', body: text.slice(0, Math.floor(text.length * at)) })),
    },
    { weight: 2, arbitrary: fc.tuple(json, fc.constantFrom(...wrongContentTypes)).map(([body, contentType]): HostileBody => ({ kind: 'wrong content type', contentType, body })) },
    { weight: 1, arbitrary: anyString.map((body): HostileBody => ({ kind: 'not JSON', contentType: 'application/json', body })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((body): HostileBody => ({ kind: 'bytes', contentType: 'application/json', body })) },
    { weight: 1, arbitrary: fc.constant<HostileBody>({ kind: 'no body', contentType: undefined, body: undefined }) },
    { weight: 1, arbitrary: fc.constant<HostileBody>({ kind: 'empty JSON body', contentType: 'application/json', body: '' }) },
    { weight: 1, arbitrary: fc.constantFrom('x', '\udfff').map((c): HostileBody => ({ kind: 'oversized', contentType: 'application/json', body: `{"a":"${c.repeat(oversizeBytes)}"}` })) },
  );
}
