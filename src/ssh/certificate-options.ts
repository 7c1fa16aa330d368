import { TrustplaneError } from '../core/errors.ts';
import { SshReader, SshWriter } from './ssh-wire.ts';

/**
 * Critical options and extensions of an OpenSSH certificate (PROTOCOL.certkeys): a sequence of
 * string(name) string(data), "lexically ordered by name", each name at most once. A flag's data
 * is empty; a value's data is the value wrapped once more as a string (ssh-keygen.c
 * prepare_options_buf), so `force-command=true` is string("force-command") string(string("true")).
 */
export interface SshCertificateOption {
  readonly name: string;
  /** Absent for a flag (`permit-pty`); the text for a valued option (`force-command`, `source-address`). */
  readonly value?: string;
}

/** Byte order (strcmp), the order ssh-keygen sorts in: `permit-X11-forwarding` before `permit-agent-forwarding`. */
export function compareOptionNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function encodeCertificateOptions(options: readonly SshCertificateOption[], what: string): Uint8Array {
  const sorted = [...options].sort((a, b) => compareOptionNames(a.name, b.name));
  const w = new SshWriter();
  sorted.forEach((o, i) => {
    if (o.name === '' || o.name.includes('\0') || (o.value ?? '').includes('\0')) {
      throw new TrustplaneError('VALIDATION_FAILED', `An empty name or a NUL in the ${what}`);
    }
    if (i > 0 && sorted[i - 1]!.name === o.name) throw new TrustplaneError('VALIDATION_FAILED', `${what}: ${o.name} appears twice`);
    w.string(o.name).string(o.value === undefined ? new Uint8Array(0) : new SshWriter().string(o.value).bytes());
  });
  return w.bytes();
}

/** Attacker-controlled: the section of a certificate being parsed, refused unless sorted, unique and well formed. */
export function decodeCertificateOptions(section: Uint8Array, what: string): SshCertificateOption[] {
  const r = new SshReader(section, 'SSH_CERTIFICATE_MALFORMED');
  const options: SshCertificateOption[] = [];
  while (r.remaining > 0) {
    const name = r.text(`${what} name`);
    const data = r.string(`${what} data`);
    const previous = options.at(-1);
    if (previous && compareOptionNames(previous.name, name) >= 0) r.fail(`${what} not in order or repeated`);
    if (data.length === 0) {
      options.push({ name });
      continue;
    }
    const inner = new SshReader(data, 'SSH_CERTIFICATE_MALFORMED');
    options.push({ name, value: inner.text(`${what} value`) });
    inner.end(`${what} value`);
  }
  return options;
}
