import { TrustplaneError } from '../core/errors.ts';
import { memberStateCode } from './member-states.ts';

export const MAX_RECIPIENTS = 10;
const MAX_RECIPIENT_LENGTH = 200;

/**
 * Whom a report went to. Art 14(1) and (3): "simultaneously to the CSIRT designated as coordinator
 * … and to ENISA", via the single reporting platform (Art 16). Two forms are known and checked:
 * `enisa` and `csirt:<Member State>` (the EU's codes, e.g. `csirt:DE`, `csirt:EL`; ISO's `GR` is taken
 * as `EL`), written in any case;
 * anything else is kept as the free text it is (another authority, a platform channel).
 */
export function checkedRecipients(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_RECIPIENTS) {
    throw new TrustplaneError('VALIDATION_FAILED', `to must name 1 to ${MAX_RECIPIENTS} recipients: enisa, csirt:<Member State>, or free text`, { details: { field: 'to' } });
  }
  const out: string[] = [];
  for (const item of value) {
    const text = typeof item === 'string' ? item.trim() : '';
    if (text === '' || text.length > MAX_RECIPIENT_LENGTH || /[\x00-\x1f\x7f]/.test(text)) {
      throw new TrustplaneError('VALIDATION_FAILED', `to: each recipient is 1 to ${MAX_RECIPIENT_LENGTH} characters of text`, { details: { field: 'to' } });
    }
    const recipient = normalised(text);
    if (!out.includes(recipient)) out.push(recipient);
  }
  return out;
}

function normalised(text: string): string {
  if (text.toLowerCase() === 'enisa') return 'enisa';
  const csirt = /^csirt:(.*)$/i.exec(text);
  if (!csirt) return text;
  const code = memberStateCode(csirt[1]);
  if (code === undefined) throw new TrustplaneError('VALIDATION_FAILED', `to: ${JSON.stringify(text.slice(0, 40))}: csirt: takes an EU Member State code (csirt:DE)`, { details: { field: 'to' } });
  return `csirt:${code}`;
}

/** What the answer notes when a submission's recipients are not both the CSIRT and ENISA (Art 14(1), (3)). */
export function recipientWarnings(to: readonly string[]): string[] {
  const warnings: string[] = [];
  if (!to.includes('enisa')) warnings.push('Art 14(1), (3): the notification goes simultaneously to ENISA; `enisa` is not among the recipients');
  if (!to.some((r) => r.startsWith('csirt:'))) warnings.push('Art 14(1), (3), (7): the notification goes to the CSIRT designated as coordinator; no `csirt:<Member State>` is among the recipients');
  return warnings;
}
