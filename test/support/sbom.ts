/** A small CycloneDX 1.6 SBOM of a Linux firmware. */
export function firmwareSbom(version = '2.4.1'): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79',
    version: 1,
    metadata: { component: { type: 'firmware', name: 'gw-12-firmware', version, purl: `pkg:generic/acme/gw-12-firmware@${version}` } },
    components: [
      { type: 'library', name: 'busybox', version: '1.36.1', purl: 'pkg:generic/busybox@1.36.1' },
      { type: 'library', name: 'openssl', version: '3.0.15', purl: 'pkg:generic/openssl@3.0.15' },
      { type: 'library', name: 'zlib', version: '1.3.1', purl: 'pkg:generic/zlib@1.3.1' },
    ],
  };
}
