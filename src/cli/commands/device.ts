import { collectList } from '../options.ts';
import { Option, type Command } from 'commander';
import { deviceStates } from '../../core/lifecycle.ts';
import { operatorRevocationReasons } from '../../core/revocation-reason.ts';
import { apiPath, type ApiClient } from '../api-client.ts';
import type { Device, LifecycleEvent, Page } from '../api.types.ts';
import { clientFor } from '../connection.ts';
import { formatTable, print, printJson } from '../output.ts';
import { registerCertificateCommands } from './device-certificate.ts';
import { registerImportCommand } from './device-import.ts';
import { registerReprovisionCommand } from './device-reprovision.ts';
import { deviceColumns, formatDevice, historyColumns, withCoverage } from './device-views.ts';
import { signedTreeSize } from './ledger.ts';

interface DeviceOptions {
  product: string;
  serial: string;
  json?: boolean;
}

export function registerDeviceCommands(program: Command): void {
  const device = program.command('device').description('register, enroll and manage the lifecycle of devices');

  withDevice(device.command('register').description('register a device before it enrolls'))
    .option('--hardware-id <id>', 'hardware identifier (e.g. MAC, chip id)')
    .option('--tag <tags>', 'labels, comma-separated or repeated (a rollout may target a tag)', collectList)
    .action(async (o: DeviceOptions & { hardwareId?: string; tag?: string[] }, cmd: Command) => {
      const body: Record<string, unknown> = { serial: o.serial };
      if (o.hardwareId !== undefined) body.hardwareId = o.hardwareId;
      if (o.tag !== undefined) body.tags = o.tag;
      const created = await (await clientFor(cmd)).postJson<Device>(apiPath`/v1/products/${o.product}/devices`, body);
      printDeviceChange(created, o.json);
    });

  registerImportCommand(device);
  registerCertificateCommands(device);

  for (const [transition, description] of [
    ['suspend', 'suspend a device (its certificate goes on hold)'],
    ['reinstate', 'reinstate a suspended device'],
    ['decommission', 'retire a device for good'],
  ] as const) {
    withDevice(device.command(transition).description(description)).action(async (o: DeviceOptions, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/devices/${o.serial}/${transition}`;
      printDeviceChange(await (await clientFor(cmd)).postJson<Device>(path, {}), o.json);
    });
  }

  withDevice(device.command('revoke').description("revoke a device's certificate"))
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 revocation reason')
        .choices(operatorRevocationReasons)
        .makeOptionMandatory(),
    )
    .action(async (o: DeviceOptions & { reason: string }, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/devices/${o.serial}/revoke`;
      printDeviceChange(await (await clientFor(cmd)).postJson<Device>(path, { reason: o.reason }), o.json);
    });

  registerReprovisionCommand(device);

  withDevice(device.command('show').description('show a device and its certificates')).action(
    async (o: DeviceOptions, cmd: Command) => {
      const found = await (
        await clientFor(cmd)
      ).getJson<Device>(apiPath`/v1/products/${o.product}/devices/${o.serial}`);
      if (o.json === true) printJson(found);
      else print(formatDevice(found));
    },
  );

  withDevice(device.command('history').description("a device's lifecycle events")).action(
    async (o: DeviceOptions, cmd: Command) => {
      const path = apiPath`/v1/products/${o.product}/devices/${o.serial}/history`;
      const client = await clientFor(cmd);
      const page = await client.getJson<Page<LifecycleEvent>>(path);
      // One checkpoint for the whole page: covered = seq below its tree size.
      const items = withCoverage(page.items, await signedTreeSize(client));
      if (o.json === true) printJson({ ...page, items });
      else print(formatTable(items, historyColumns));
    },
  );

  withDevice(device.command('trust').description("a device's latest attestation result (RFC 9334): status, reason, expiry, the signed EAR")).action(
    async (o: DeviceOptions, cmd: Command) => {
      const client = await clientFor(cmd);
      const trust = await client.getJson<DeviceTrust>(apiPath`/v1/products/${o.product}/devices/${o.serial}/trust`);
      if (o.json === true) printJson(trust);
      else print(formatTrust(trust));
    },
  );

  withDevice(device.command('tag').description('add or remove a device\'s tags (labels: a rollout may target a tag)'))
    .option('--add <tags>', 'tags to add, comma-separated', collectList)
    .option('--remove <tags>', 'tags to remove, comma-separated', collectList)
    .action(async (o: DeviceOptions & { add?: string[]; remove?: string[] }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).postJson<{ tags: string[] }>(apiPath`/v1/products/${o.product}/devices/${o.serial}/tags`, { add: o.add ?? [], remove: o.remove ?? [] });
      if (o.json === true) printJson(answer);
      else print(`${o.serial}: ${answer.tags.length === 0 ? 'no tags' : answer.tags.join(', ')}\n`);
    });

  device
    .command('list')
    .description("list a product's devices (all pages)")
    .requiredOption('--product <sku>', 'product SKU')
    .addOption(new Option('--state <state>', 'only devices in this state').choices(deviceStates))
    .option('--json', 'print the JSON answer (all pages merged into one items list)')
    .action(async (o: { product: string; state?: string; json?: boolean }, cmd: Command) => {
      const items = await listAllDevices(await clientFor(cmd), o.product, o.state);
      if (o.json === true) printJson({ items });
      else print(formatTable(items, deviceColumns));
    });
}

/** GET /v1/products/{sku}/devices/{serial}/trust */
interface DeviceTrust {
  product: string;
  serial: string;
  deviceState: string;
  trusted: boolean;
  result: { id: string; status: string; reason: string | null; evidence: string; release: string | null; appraisedAt: string; expiresAt: string; expired: boolean; signed: string | null } | null;
  /** the device's current AK and how it was bound: credential activation, the EK certificate's check */
  attestationKey: { id: string; binding: string; ekCertificate: string; manufacturerCa: string | null; activatedAt: string | null } | null;
  verifierKeys: string;
}

function formatTrust(t: DeviceTrust): string {
  const r = t.result;
  const lines = [`${t.product}/${t.serial}: ${t.trusted ? 'trusted' : 'NOT trusted'} (device ${t.deviceState})`];
  if (r === null) lines.push('no attestation result');
  else {
    lines.push(`status      ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
    lines.push(`evidence    ${r.evidence}${r.release ? `, release ${r.release}` : ''}`);
    lines.push(`appraised   ${r.appraisedAt}`);
    lines.push(`expires     ${r.expiresAt}${r.expired ? ' (expired)' : ''}`);
    lines.push(`result      ${r.id}; signed EAR with --json, verifier keys at ${t.verifierKeys}`);
  }
  const k = t.attestationKey;
  if (k !== null) lines.push(`AK          ${k.id}: ${k.binding}, EK certificate ${k.ekCertificate}${k.manufacturerCa === null ? '' : ` (manufacturer CA ${k.manufacturerCa})`}`);
  return lines.join('\n');
}

function withDevice(cmd: Command): Command {
  return cmd
    .requiredOption('--product <sku>', 'product SKU')
    .requiredOption('--serial <serial>', 'device serial')
    .option('--json', 'print the raw JSON answer');
}

function printDeviceChange(d: Device, json: boolean | undefined): void {
  if (json === true) printJson(d);
  else print(`${d.product} ${d.serial}: ${d.state}`);
}

/** Follows `next` to the last page; `next` is the `after` cursor (docs/design/api.md). */
export async function listAllDevices(client: ApiClient, sku: string, state: string | undefined): Promise<Device[]> {
  const items: Device[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams();
    if (state !== undefined) query.set('state', state);
    if (after !== undefined) query.set('after', after);
    const suffix = query.size === 0 ? '' : `?${query.toString()}`;
    const page = await client.getJson<Page<Device>>(apiPath`/v1/products/${sku}/devices` + suffix);
    items.push(...page.items);
    // Stop on a missing cursor, an empty page, or a cursor that does not move (a server bug would loop forever).
    if (page.next === undefined || page.next === '' || page.items.length === 0 || page.next === after) return items;
    after = page.next;
  }
}
