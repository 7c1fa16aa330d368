import { DeviceApiConnection, type DeviceApiOptions } from '../device-api-connection.ts';
import {
  MAX_ASSIGNMENT_ANSWER_BYTES,
  MAX_REPORT_ANSWER_BYTES,
  MAX_TRUST_ANSWER_BYTES,
  parseAssignmentAnswer,
  parseReportAnswer,
  parseTrustAnswer,
} from './device-api-answers.ts';
import type { UpdateApi, UpdateAssignment, UpdateReport, UpdateTrust } from './update.types.ts';

export type DeviceUpdateApiOptions = DeviceApiOptions;

const MAX_DETAIL_CHARS = 500;

/** The update calls of the device API (`/device/v1/<sku>/update/…` on the device listener). */
export class DeviceUpdateApi implements UpdateApi {
  readonly #api: DeviceApiConnection;
  readonly #product: string;

  constructor(options: DeviceUpdateApiOptions) {
    this.#api = new DeviceApiConnection(options, 'update');
    this.#product = options.product;
  }

  get baseUrl(): string {
    return this.#api.baseUrl;
  }

  async trust(): Promise<UpdateTrust> {
    const o = await this.#api.json('GET', 'trust', undefined, [200], MAX_TRUST_ANSWER_BYTES);
    return parseTrustAnswer(o, this.#product);
  }

  async assignment(): Promise<UpdateAssignment | null> {
    return parseAssignmentAnswer(await this.#api.json('GET', 'assignment', undefined, [200], MAX_ASSIGNMENT_ANSWER_BYTES));
  }

  /** 201 recorded, 200 a repeat (its answer was lost): both are success (DESIGN rule 8). */
  async report(report: UpdateReport): Promise<{ recorded: boolean }> {
    const body = JSON.stringify({
      releaseId: report.releaseId,
      ...(report.rolloutId !== undefined ? { rolloutId: report.rolloutId } : {}),
      outcome: report.outcome,
      ...(report.reason !== undefined ? { reason: report.reason } : {}),
      ...(report.detail !== undefined ? { detail: report.detail.slice(0, MAX_DETAIL_CHARS) } : {}),
    });
    return parseReportAnswer(await this.#api.json('POST', 'reports', body, [200, 201], MAX_REPORT_ANSWER_BYTES));
  }

  close(): void {
    this.#api.close();
  }
}
