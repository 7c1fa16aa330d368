import { generateKeyPairSync } from 'node:crypto';
import { isIP } from 'node:net';
import { DAY_MS } from '../../core/clock.ts';
import { randomCertificateSerial } from '../../core/random.ts';
import { keyIdentifierOf, signCertificate } from '../../pki/certificate-builder.ts';
import { subjectOf } from '../../pki/ca-hierarchy.ts';
import { sha256 } from '../../pki/csr.ts';
import type { IdentityContext } from '../../pki/identity-context.ts';
import { buildName } from '../../pki/names.ts';
import { toPem } from '../../core/pem.ts';
import { tlsServerExtensions } from '../../pki/profiles.ts';

const VALIDITY_DAYS = 30;
const RENEW_BEFORE_DAYS = 10;

export interface TlsCredential {
  key: string;
  cert: string;
  notAfter: Date;
  serial: string;
}

/**
 * The EST listener's TLS identity. Its key is made in memory at each start and never stored (nothing
 * to wrap, nothing to leak from the database); the root signs a short serverAuth certificate for it,
 * recorded like every certificate trustplane issues, and re-issued before it expires.
 */
export class EstTlsIdentity {
  readonly #ctx: IdentityContext;
  readonly #names: string[];
  #current: TlsCredential | undefined;

  constructor(ctx: IdentityContext, hostNames: string[]) {
    this.#ctx = ctx;
    this.#names = [...new Set(['localhost', '127.0.0.1', '::1', ...hostNames.filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::')])];
  }

  async current(): Promise<TlsCredential> {
    return (this.#current ??= await this.#issue());
  }

  /** A new credential when the current one is within its renewal period; undefined otherwise. */
  async refreshIfDue(): Promise<TlsCredential | undefined> {
    const now = this.#ctx.clock.now().getTime();
    if (this.#current && this.#current.notAfter.getTime() - now > RENEW_BEFORE_DAYS * DAY_MS) return undefined;
    return (this.#current = await this.#issue());
  }

  async #issue(): Promise<TlsCredential> {
    const ctx = this.#ctx;
    const root = await ctx.store.findRootCa();
    if (!root) throw new Error('the root CA has not been initialised');
    const rootSigner = await ctx.keys.signer(root.keyId);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const now = ctx.clock.now();
    const serial = randomCertificateSerial(ctx.random);
    const notBefore = new Date(now.getTime() - ctx.config.backdateSeconds * 1000);
    const notAfter = new Date(Math.min(now.getTime() + VALIDITY_DAYS * DAY_MS, root.notAfter.getTime()));
    const der = await signCertificate(
      {
        serial,
        issuer: subjectOf(root.certificate),
        subject: buildName([
          { type: 'organization', value: ctx.config.organization },
          { type: 'commonName', value: `${ctx.config.organization} EST server` },
        ]),
        notBefore,
        notAfter,
        spki,
        extensions: tlsServerExtensions({
          spki,
          issuerKeyId: keyIdentifierOf(rootSigner.spki),
          dnsNames: this.#names.filter((n) => isIP(n) === 0),
          ipAddresses: this.#names.filter((n) => isIP(n) !== 0),
        }),
      },
      rootSigner,
    );
    const serialHex = Buffer.from(serial).toString('hex');
    await ctx.store.unitOfWork(async (uow) => {
      await uow.insertCertificates([
        { serial: serialHex, caId: root.id, deviceId: null, spkiSha256: sha256(spki), der, notBefore, notAfter, status: 'good', revocationReason: null, revokedAt: null, issuedAt: now, firstUsedAt: null, issuedFor: null },
      ]);
      uow.recordEvents([
        { actor: 'system:est', action: 'est.tls-certificate-issued', subjectType: 'ca', subjectId: root.id, details: { certificateSerial: serialHex, names: this.#names, notAfter: notAfter.toISOString() } },
      ]);
    }, { at: now });
    return { key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, cert: toPem(der, 'CERTIFICATE'), notAfter, serial: serialHex };
  }
}
