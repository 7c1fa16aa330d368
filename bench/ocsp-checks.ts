// What the OCSP scenarios check before a responder is timed, over HTTP: sample answers, each
// verified by `openssl ocsp -respin` (bench/ocsp-requests.ts), and after a run, whether the
// responder still answers at all.
import { checkOcspAnswer, type NonceMode, type OcspSubject, type RequestSet } from './ocsp-requests.ts';

export const OCSP_REQUEST_TYPE = 'application/ocsp-request';

/** A responder as openssl checks it: where it answers, the CA it answers for, the anchor its signer chains to. */
export interface CheckedResponder {
  url: string;
  issuerPem: string;
  trustPem: string;
}

/** RFC 6960 Appendix A.1: POST, the DER request as body; throws unless an OCSP answer comes back. */
export async function postOcsp(url: string, body: Uint8Array): Promise<Buffer> {
  const answer = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': OCSP_REQUEST_TYPE },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return checkedAnswer(url, answer);
}

async function checkedAnswer(url: string, answer: Response): Promise<Buffer> {
  const type = answer.headers.get('content-type') ?? '';
  const body = Buffer.from(await answer.arrayBuffer());
  if (answer.status !== 200 || !type.startsWith('application/ocsp-response'))
    throw new Error(`${url}: HTTP ${answer.status} ${type}, not an OCSP answer`);
  return body;
}

/**
 * A revoked and a good certificate without nonce, a good one with, each answer verified by openssl
 * (the first two subjects are a revoked and a good one). Throws on a wrong answer; returns whether
 * the nonce came back.
 */
export async function checkSamples(
  dir: string,
  responder: CheckedResponder,
  requests: Record<NonceMode, RequestSet>,
  subjects: readonly OcspSubject[],
): Promise<{ nonceEchoed: boolean }> {
  const samples = [
    { request: requests['no-nonce'].bodies[0]!, expect: subjects[0]!.status },
    { request: requests['no-nonce'].bodies[1]!, expect: subjects[1]!.status },
    { request: requests.nonce.bodies[1]!, expect: subjects[1]!.status },
  ];
  let nonceEchoed = false;
  for (const { request, expect } of samples) {
    const answer = await postOcsp(responder.url, request);
    ({ nonceEchoed } = await checkOcspAnswer(dir, { ...responder, request, answer, expect }));
  }
  return { nonceEchoed };
}

/** RFC 6960 Appendix A.1: the request by GET, base64 then URL-encoded into the path. */
export async function checkGet(
  dir: string,
  responder: CheckedResponder,
  request: Buffer,
  expect: OcspSubject['status'],
): Promise<void> {
  const url = `${responder.url}/${encodeURIComponent(request.toString('base64'))}`;
  const answer = await checkedAnswer(url, await fetch(url, { signal: AbortSignal.timeout(10_000) }));
  await checkOcspAnswer(dir, { ...responder, request, answer, expect });
}

export async function stillAnswers(url: string, request: Uint8Array): Promise<boolean> {
  try {
    await postOcsp(url, request);
    return true;
  } catch {
    return false;
  }
}
