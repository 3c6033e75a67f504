/**
 * aicontent's own response, the envelope `{requestId, success, errCode, errMessage, httpStatusCode, data}`,
 * for requests the gateway let through. Business errors use the envelope's status as the HTTP status.
 */
import { type EmulatorResponse, jsonResponse, type RequestContext } from './response.ts';

export function okEnvelope(ctx: RequestContext, data: unknown): EmulatorResponse {
  return jsonResponse(200, {
    requestId: ctx.requestId,
    success: true,
    errCode: null,
    errMessage: null,
    httpStatusCode: 200,
    data,
  });
}

export function errorEnvelope(
  ctx: RequestContext,
  status: number,
  errCode: string,
  errMessage: string,
): EmulatorResponse {
  return jsonResponse(status, {
    requestId: ctx.requestId,
    success: false,
    errCode,
    errMessage,
    httpStatusCode: status,
    data: null,
  });
}

/** 400: a required parameter is missing (or, here, unusable: the service's code for that is unknown). */
export function parameterNotFound(ctx: RequestContext, detail: string): EmulatorResponse {
  return errorEnvelope(ctx, 400, 'B_PARAMETER_NOT_FOUND_EXCEPTION', `必要参数没有找到: ${detail}`);
}

export function dataNotFound(ctx: RequestContext): EmulatorResponse {
  return errorEnvelope(ctx, 404, 'B_DATA_NOT_FOUND_EXCEPTION', '资源没有找到');
}
