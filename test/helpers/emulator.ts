/**
 * Signed requests to the aicontent emulator, built with our own signer and sent with `fetch`, with hooks
 * to break them on purpose (tamper with headers after signing, send another body, another wire query).
 */
import { randomUUID } from 'node:crypto';
import { ADD_ACTIONS, API_VERSION, QUERY_ACTION, QUERY_PATH } from '#local/emulator/api.ts';
import type { Emulator } from '#local/emulator/emulator.ts';
import { parseJsonObject } from '#shared/json.ts';
import { type Credentials, canonicalQuery, formatAcsDate, sign } from '#shared/signing/acs3.ts';

export interface EmulatorCall {
  method?: string;
  pathname?: string;
  query?: Record<string, string>;
  body?: string;
  /** Default: the query action for GET, the add action for POST. */
  action?: string;
  version?: string;
  /** Default: the emulator's permanent AccessKey pair. */
  credentials?: Credentials;
  /** Default: now (real time), formatted as x-acs-date. */
  date?: string;
  /** Default: a fresh random nonce. */
  nonce?: string;
  /** Extra headers, signed. */
  headers?: Record<string, string>;
  /** Changes the signed headers before they are sent. */
  tamper?: (headers: Record<string, string>) => void;
  /** The body sent, when it must differ from the body signed. */
  sentBody?: string;
  /** The query string sent (without `?`); default the strictly encoded canonical form. */
  wireQuery?: string;
}

export interface EmulatorResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as a JSON object; empty when it is not one. */
  body: Record<string, unknown>;
}

/** The headers a call would send, signed (host included: `send` leaves it to fetch, which sends the same). */
export function signCall(emulator: Emulator, call: EmulatorCall = {}): Record<string, string> {
  const method = call.method ?? 'GET';
  const body = call.body ?? (method === 'POST' ? '{}' : undefined);
  const headers = sign(
    {
      method,
      pathname: call.pathname ?? QUERY_PATH,
      query: call.query,
      body,
      headers: {
        host: new URL(emulator.url).host,
        'x-acs-action': call.action ?? (method === 'POST' ? (ADD_ACTIONS[0] ?? '') : QUERY_ACTION),
        'x-acs-version': call.version ?? API_VERSION,
        ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
        ...call.headers,
      },
    },
    call.credentials ?? { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret },
    { date: call.date ?? formatAcsDate(new Date()), nonce: call.nonce ?? randomUUID().replaceAll('-', '') },
  );
  call.tamper?.(headers);
  return headers;
}

/** Sends already signed headers (e.g. to replay them). */
export async function sendSigned(
  emulator: Emulator,
  headers: Record<string, string>,
  call: EmulatorCall = {},
): Promise<EmulatorResponse> {
  const method = call.method ?? 'GET';
  const query = call.wireQuery ?? canonicalQuery(call.query);
  const url = `${emulator.url}${call.pathname ?? QUERY_PATH}${query ? `?${query}` : ''}`;
  const { host: _, ...sent } = headers;
  const response = await fetch(url, {
    method,
    headers: sent,
    body: call.sentBody ?? call.body ?? (method === 'POST' ? '{}' : undefined),
  });
  return readResponse(response);
}

export function callEmulator(emulator: Emulator, call: EmulatorCall = {}): Promise<EmulatorResponse> {
  return sendSigned(emulator, signCall(emulator, call), call);
}

/** A query for one job, signed with the emulator's AccessKey unless told otherwise. */
export function queryJob(
  emulator: Emulator,
  inferenceJobId: string,
  call: EmulatorCall = {},
): Promise<EmulatorResponse> {
  return callEmulator(emulator, { ...call, query: { inferenceJobId } });
}

/** An unsigned request to an admin endpoint. */
export async function admin(
  emulator: Emulator,
  method: string,
  path: string,
  body?: string,
): Promise<EmulatorResponse> {
  return readResponse(await fetch(`${emulator.url}/_emulator/${path}`, { method, body }));
}

async function readResponse(response: Response): Promise<EmulatorResponse> {
  const text = await response.text();
  // Not a JSON object (a malformed-body fault): `text` has it.
  return { status: response.status, headers: response.headers, text, body: parseJsonObject(text) ?? {} };
}
