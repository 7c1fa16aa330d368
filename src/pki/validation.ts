import { TrustplaneError } from '../core/errors.ts';

/** SKUs appear in URLs, URNs and certificate names: a conservative alphabet. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Device serials appear in the device URN, the serialNumber attribute (PrintableString) and URLs. */
export const DEVICE_SERIAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const HARDWARE_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
/** A device tag (label): a rollout's cohort may be a tag. */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:=-]{0,63}$/;
export const MAX_DEVICE_TAGS = 32;

export function requireMatch(field: string, value: unknown, pattern: RegExp, hint: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be ${hint}`, { details: { field } });
  }
  return value;
}

export function requireText(field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > maxLength || /[\x00-\x1f\x7f]/.test(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be 1 to ${maxLength} printable characters`, { details: { field } });
  }
  return value;
}

export function requireInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be an integer from ${min} to ${max}`, { details: { field } });
  }
  return value;
}

/** A calendar date `YYYY-MM-DD`; returns the last instant of that day, UTC. */
export function requireEndOfDay(field: string, value: unknown): Date {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} must be a date YYYY-MM-DD`, { details: { field } });
  }
  const d = new Date(`${value}T23:59:59Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new TrustplaneError('VALIDATION_FAILED', `${field} is not a real date`, { details: { field } });
  }
  return d;
}

export function deviceUrn(sku: string, serial: string): string {
  return `urn:trustplane:device:${sku}:${serial}`;
}
