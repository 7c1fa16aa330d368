import type { BootManifestKind } from '../../updates/boot-manifest/index.ts';

/**
 * What the device API's `GET /device/v1/<sku>/update/trust` gives, stored the first time only
 * (trust on first use over the mutually authenticated channel).
 */
export interface UpdateTrust {
  readonly product: string;
  /** Base URL of the product's TUF repository, no trailing slash (`http://host:port/tuf/<sku>`). */
  readonly repository: string;
  /** The TUF root metadata the device starts from; tuf-js moves it forward by rotation. */
  readonly root: Record<string, unknown>;
  /** DER SubjectPublicKeyInfo, base64, of the boot manifest's two signers. */
  readonly manifestKeys: { readonly ed25519: string; readonly mlDsa65: string };
}

/** `GET /device/v1/<sku>/update/assignment`: the release this device should run. */
export interface UpdateAssignment {
  /** The device the server assigned it to; the agent refuses an assignment naming another serial. */
  readonly serial: string;
  readonly rolloutId: string;
  readonly releaseId: string;
  /** The TUF target name (TARGETPATH), e.g. `firmware/2.4.1/fw-2.4.1.bin`. */
  readonly targetName: string;
  readonly version: string;
  readonly securityVersion: number;
  readonly kind: BootManifestKind;
  /** The COSE_Sign boot manifest, still unverified. */
  readonly manifest: Uint8Array;
}

export const updateOutcomes = ['installed', 'rejected', 'failed'] as const;
export type UpdateOutcome = (typeof updateOutcomes)[number];

/** `POST /device/v1/<sku>/update/reports`. */
export interface UpdateReport {
  readonly releaseId: string;
  readonly rolloutId?: string;
  readonly outcome: UpdateOutcome;
  /** A stable code: MANIFEST_ROLLBACK, TUF_EXPIRED, INSTALL_HOOK_FAILED … */
  readonly reason?: string;
  /** At most 500 characters. */
  readonly detail?: string;
}

/** The three device-API calls the update needs; the real client is DeviceUpdateApi (tests give fakes). */
export interface UpdateApi {
  trust(): Promise<UpdateTrust>;
  assignment(): Promise<UpdateAssignment | null>;
  report(report: UpdateReport): Promise<{ recorded: boolean }>;
}

export const slotNames = ['a', 'b'] as const;
export type SlotName = (typeof slotNames)[number];

/** `slots/<x>/release.json`: written last when a slot is staged, so a slot without it is incomplete. */
export interface SlotRelease {
  readonly releaseId: string;
  readonly rolloutId: string;
  readonly targetName: string;
  readonly version: string;
  readonly securityVersion: number;
  readonly kind: BootManifestKind;
  readonly length: number;
  readonly sha256: string;
  readonly stagedAt: string;
}
