import { CliError, refusalFromAnswer } from './cli-error.ts';

export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:8443`; a path prefix (behind a proxy) is kept. */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs?: number;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Generous: an import chunk of 500 rows or an HSM-backed signature may take a while. */
const defaultTimeoutMs = 60_000;

/**
 * HTTP client for the /v1 API (docs/design/api.md). Every failure becomes a CliError:
 * no answer → `unreachable`, a non-2xx answer → `refused` carrying the server's problem.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  async getJson<T>(path: string): Promise<T> {
    return (await this.#send('GET', path)).json() as Promise<T>;
  }

  async postJson<T>(path: string, body: unknown): Promise<T> {
    return (await this.#send('POST', path, body)).json() as Promise<T>;
  }

  /** As postJson, with the status: 201 made something, 200 found it made already (a retry). */
  async postJsonWithStatus<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
    const answer = await this.#send('POST', path, body);
    return { status: answer.status, body: (await answer.json()) as T };
  }

  async putJson<T>(path: string, body: unknown): Promise<T> {
    return (await this.#send('PUT', path, body)).json() as Promise<T>;
  }

  /** A partial change (the CRA profile): absent fields are kept, null clears one. */
  async patchJson<T>(path: string, body: unknown): Promise<T> {
    return (await this.#send('PATCH', path, body)).json() as Promise<T>;
  }

  async getText(path: string): Promise<string> {
    return (await this.#send('GET', path)).text();
  }

  async getBytes(path: string): Promise<Buffer> {
    return Buffer.from(await (await this.#send('GET', path)).arrayBuffer());
  }

  /**
   * Streams a file's bytes (an image, an SBOM) as application/octet-stream: never read whole into
   * memory. No timeout: a 2 GiB image over a slow link takes what it takes.
   */
  async postStream<T>(path: string, body: ReadableStream<Uint8Array>, length: number): Promise<T> {
    const headers = { authorization: `Bearer ${this.#token}`, accept: 'application/json', 'content-type': 'application/octet-stream', 'content-length': String(length) };
    return (await this.#exchange(path, { method: 'POST', headers, body, duplex: 'half' })).json() as Promise<T>;
  }

  async deleteJson<T>(path: string): Promise<T> {
    return (await this.#send('DELETE', path)).json() as Promise<T>;
  }

  async delete(path: string): Promise<void> {
    await (await this.#send('DELETE', path)).arrayBuffer();
  }

  async #send(method: Method, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: 'application/json' };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return this.#exchange(path, init);
  }

  async #exchange(path: string, init: RequestInit): Promise<Response> {
    let answer: Response;
    try {
      answer = await fetch(this.baseUrl + path, init);
    } catch (cause) {
      throw new CliError('unreachable', `cannot reach the trustplane server at ${this.baseUrl}`, { cause });
    }
    if (answer.ok) return answer;
    const text = await answer.text().catch(() => '');
    throw refusalFromAnswer(answer.status, answer.headers.get('content-type'), text);
  }
}

/** Builds an API path, percent-encoding each interpolated value (SKUs and serials are user input). */
export function apiPath(strings: TemplateStringsArray, ...values: string[]): string {
  return strings.reduce((path, s, i) => path + s + (i < values.length ? encodeURIComponent(values[i] ?? '') : ''), '');
}
