/**
 * Direct invocation, on three paths (the request body is the event, byte for byte, docs/fc-runtime.md §4):
 *
 * - FC 3.0 `InvokeFunction`: `POST /2023-03-30/functions/{functionName}/invocations[?qualifier=...]`,
 *   ACS3-HMAC-SHA256 signed (`x-acs-action: InvokeFunction`, `x-acs-version: 2023-03-30`) with
 *   credentials this runtime handed to a function, or by an outside caller (the official SDK, a user's
 *   chaining code) with the local AccessKey, the aicontent emulator's permanent pair; checked by the
 *   emulator's verifier (date window, nonce, STS token, signature), refused with FC's codes;
 * - FC 2.0, as `@alicloud/fc2`'s `invokeFunction` sends it:
 *   `POST /2016-08-15/services/{service[.qualifier]}/functions/{functionName}/invocations`, with fc2's
 *   signature (see `fc2Signature.ts`); the service is ignored, and `<service>$<function>` (the name of
 *   a function migrated from 2.0) is accepted too;
 * - `POST /invoke/{functionName or resource name}`: no signature, for trying things out.
 *
 * All take `x-fc-invocation-type: Async`, and respond to a synchronous invocation sent with
 * `x-fc-log-type: Tail` with `x-fc-log-result`: base64 of the last 4 KB of its log, as FC does. The
 * qualifier is accepted and ignored (only LATEST exists).
 */
import type { IncomingMessage } from 'node:http';
import type { RequestVerifier } from '#local/emulator/verify.ts';
import { type AuthRefusal, fromGatewayCode, refusalResponse } from './authErrors.ts';
import type { HandedOutCredentials } from './credentials.ts';
import { verifyFc2Request } from './fc2Signature.ts';
import { decodePath } from './httpEvent.ts';
import type { Invocations } from './invocations.ts';
import { isAsyncInvocation, readBody, wantsLogTail } from './limits.ts';
import type { LocalFunction } from './localFunction.ts';
import { logTail } from './outcome.ts';
import {
  ACCEPTED,
  apiError,
  directInvocationResponse,
  type RuntimeResponse,
  withHeaders,
} from './responses.ts';

export const FC3_API_VERSION = '2023-03-30';

export type InvokeApi = 'fc3' | 'fc2' | 'plain';

export interface InvokeRoute {
  api: InvokeApi;
  /** The names the path may mean, best first. */
  names: string[];
}

const FC3_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
const FC2_PATH = /^\/2016-08-15\/services\/([^/]+)\/functions\/([^/]+)\/invocations$/;
const PLAIN_PATH = /^\/invoke\/([^/]+)$/;

export function isFc2Path(rawPath: string): boolean {
  return FC2_PATH.test(rawPath);
}

/** The invoke route a (still encoded) path is, or undefined for any other path. */
export function matchInvokeRoute(rawPath: string): InvokeRoute | undefined {
  const fc3 = FC3_PATH.exec(rawPath);
  if (fc3) return { api: 'fc3', names: [decode(fc3[1])] };
  const fc2 = FC2_PATH.exec(rawPath);
  if (fc2) {
    const service = decode(fc2[1]).split('.')[0];
    const fn = decode(fc2[2]);
    return { api: 'fc2', names: [fn, `${service}$${fn}`] };
  }
  const plain = PLAIN_PATH.exec(rawPath);
  if (plain) return { api: 'plain', names: [decode(plain[1])] };
  return undefined;
}

export interface InvokeDependencies {
  invocations: Invocations;
  acs3Verifier: RequestVerifier;
  handedOut: HandedOutCredentials;
}

export interface ReceivedInvoke {
  request: IncomingMessage;
  rawPath: string;
  rawQuery: string;
  requestId: string;
  receivedAt: number;
}

export async function serveInvoke(
  route: InvokeRoute,
  received: ReceivedInvoke,
  deps: InvokeDependencies,
): Promise<RuntimeResponse> {
  const { request, requestId } = received;
  if (request.method !== 'POST') {
    const refusal = apiError(
      400,
      'PathNotSupported',
      `'${request.method}' against '${received.rawPath}' is not supported; use POST`,
      requestId,
    );
    return withHeaders(refusal, { allow: 'POST' });
  }
  const body = await readBody(request);
  const refusal = checkSignature(route.api, received, body, deps);
  if (refusal) return refusalResponse(refusal, requestId);

  const fn = findFunction(route, deps.invocations);
  if (!fn) return apiError(404, 'FunctionNotFound', `function '${route.names[0]}' does not exist`, requestId);
  const outcome = await deps.invocations.dispatch(fn, body, requestId, 'invoke', isAsyncInvocation(request));
  if (!outcome) return ACCEPTED;
  const result = directInvocationResponse(outcome);
  return wantsLogTail(request) ? withHeaders(result, { 'x-fc-log-result': logTail(outcome) }) : result;
}

function checkSignature(
  api: InvokeApi,
  received: ReceivedInvoke,
  body: Buffer,
  deps: InvokeDependencies,
): AuthRefusal | undefined {
  const { request, rawPath, rawQuery, receivedAt } = received;
  const method = request.method ?? '';
  if (api === 'fc3') {
    // FC's response to an unsigned request; the gateway verifier would call it an incomplete signature.
    if (request.headers.authorization === undefined) {
      return {
        code: 'MissingRequiredHeader',
        message: 'required HTTP header authorization was not specified',
      };
    }
    const verdict = deps.acs3Verifier.verify(
      {
        method,
        pathname: rawPath,
        rawQuery,
        rawHeaders: request.rawHeaders,
        body,
      },
      receivedAt,
    );
    if (!verdict.ok) return fromGatewayCode(verdict.code, verdict.detail);
    if (verdict.action !== 'InvokeFunction' || verdict.version !== FC3_API_VERSION) {
      return {
        code: 'PathNotSupported',
        message: `'${verdict.action} ${verdict.version}' against '${rawPath}' is not supported; this path serves InvokeFunction ${FC3_API_VERSION}`,
      };
    }
  }
  if (api === 'fc2') {
    const verdict = verifyFc2Request(
      { method, path: decode(rawPath), headers: request.headers, body },
      deps.handedOut,
      receivedAt,
    );
    if (!verdict.ok) return verdict;
  }
  return undefined;
}

function findFunction(route: InvokeRoute, invocations: Invocations): LocalFunction | undefined {
  if (route.api === 'plain') return invocations.byAnyName(route.names[0] ?? '');
  for (const name of route.names) {
    const fn = invocations.byFunctionName(name);
    if (fn) return fn;
  }
  return undefined;
}

function decode(segment: string | undefined): string {
  return decodePath(segment ?? '');
}
