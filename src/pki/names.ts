import * as x509 from '@peculiar/asn1-x509';

const OID = {
  commonName: '2.5.4.3',
  serialNumber: '2.5.4.5',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
} as const;

type Attr = { type: keyof typeof OID; value: string; printable?: boolean };

/** Builds a Name, one attribute per RDN, in the given order; UTF8String except where X.520 says PrintableString. */
export function buildName(attrs: readonly Attr[]): x509.Name {
  return new x509.Name(
    attrs.map(
      (a) =>
        new x509.RelativeDistinguishedName([
          new x509.AttributeTypeAndValue({
            type: OID[a.type],
            value: new x509.AttributeValue(a.printable ? { printableString: a.value } : { utf8String: a.value }),
          }),
        ]),
    ),
  );
}

/** A readable RFC 4514-ish rendering for logs and the API (not for matching). */
export function nameToString(name: x509.Name): string {
  const short: Record<string, string> = { [OID.commonName]: 'CN', [OID.serialNumber]: 'serialNumber', [OID.organization]: 'O', [OID.organizationalUnit]: 'OU' };
  return name
    .map((rdn) => rdn.map((atv) => `${short[atv.type] ?? atv.type}=${atv.value.toString()}`).join('+'))
    .join(', ');
}

/** The values of one attribute type in a Name, e.g. the subject's serialNumber (IEEE 802.1AR §8.6). */
export function nameAttributeValues(name: x509.Name, type: keyof typeof OID): string[] {
  return name.flatMap((rdn) => rdn.filter((atv) => atv.type === OID[type]).map((atv) => atv.value.toString()));
}
