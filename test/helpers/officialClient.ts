/**
 * The official Alibaba Cloud client, typed just enough for the signing oracle test and benchmark. It is
 * loaded through `require` from openapi-client's own location, so that patches hit the very module
 * instances openapi-client uses (it carries its own nested copy of tea-util).
 */
import { createRequire } from 'node:module';

export interface OfficialRequest {
  method: string;
  pathname: string;
  query: Record<string, string | undefined>;
  headers: Record<string, string>;
  body?: { value: Buffer };
}

export interface OpenApiUtilClass {
  getAuthorization(
    request: OfficialRequest,
    signatureAlgorithm: string,
    hashedPayload: string,
    accessKeyId: string,
    accessKeySecret: string,
  ): string;
  hash(raw: Buffer, signatureAlgorithm: string): Buffer;
  hexEncode(raw: Buffer): string;
  getTimestamp(): string;
}

export interface TeaUtilClass {
  getNonce(): string;
  getUserAgent(userAgent: string | undefined): string;
  toBytes(value: string): Buffer;
  empty(value: string | undefined): boolean;
}

export interface TeaModule {
  doAction(request: OfficialRequest, runtime: unknown): Promise<unknown>;
}

export type Constructor<T = object> = new (map: Record<string, unknown>) => T;

export interface OpenApiClientModule {
  default: new (
    config: object,
  ) => { callApi(params: object, request: object, runtime: object): Promise<unknown> };
  Config: Constructor;
  Params: Constructor;
  OpenApiRequest: Constructor;
}

const requireFromClient = createRequire(createRequire(import.meta.url).resolve('@alicloud/openapi-client'));
export const OpenApi = requireFromClient('@alicloud/openapi-client') as OpenApiClientModule;
export const OpenApiUtil = (requireFromClient('@alicloud/openapi-util') as { default: OpenApiUtilClass })
  .default;
export const TeaUtilModule = requireFromClient('@alicloud/tea-util') as {
  default: TeaUtilClass;
  RuntimeOptions: Constructor;
};
export const TeaUtil = TeaUtilModule.default;
export const tea = requireFromClient('@alicloud/tea-typescript') as TeaModule;
