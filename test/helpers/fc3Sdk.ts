/**
 * The official FC 3.0 SDK (`@alicloud/fc20230330`), typed just enough for the tests that drive the local
 * runtime with it as an outside caller would. Its own dependencies (`@alicloud/openapi-core` for the
 * client config, `@darabonba/typescript` for runtime options) are loaded from its location, so they are
 * the very modules it uses.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

type Model<T = object> = new (map: Record<string, unknown>) => T;

export interface InvokeFunctionResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface Fc3Client {
  invokeFunctionWithOptions(
    functionName: string,
    request: object,
    headers: object,
    runtime: object,
  ): Promise<InvokeFunctionResponse>;
}

/** What the SDK throws for an API error: `code` is the body's `Code`. */
export interface Fc3SdkError extends Error {
  code: string;
  statusCode: number;
  data: Record<string, unknown>;
}

const requireFromSdk = createRequire(createRequire(import.meta.url).resolve('@alicloud/fc20230330'));
const sdk = requireFromSdk('@alicloud/fc20230330') as {
  default: new (config: object) => Fc3Client;
  InvokeFunctionRequest: Model;
  InvokeFunctionHeaders: Model;
};
const { $OpenApiUtil } = requireFromSdk('@alicloud/openapi-core') as { $OpenApiUtil: { Config: Model } };
const { RuntimeOptions } = requireFromSdk('@darabonba/typescript') as { RuntimeOptions: Model };

/** A client of the FC 3.0 API at `http://<endpoint>` (host:port), signing with this AccessKey pair. */
export function fc3Client(
  endpoint: string,
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string },
): Fc3Client {
  return new sdk.default(new $OpenApiUtil.Config({ ...credentials, endpoint, protocol: 'http' }));
}

export interface Invocation {
  body: string;
  qualifier?: string;
  async?: boolean;
}

/** `InvokeFunction`, as the SDK's users call it; resolves with the status, headers and body text. */
export async function invokeWithSdk(client: Fc3Client, functionName: string, invocation: Invocation) {
  const response = await client.invokeFunctionWithOptions(
    functionName,
    new sdk.InvokeFunctionRequest({
      body: Readable.from(Buffer.from(invocation.body)),
      ...(invocation.qualifier ? { qualifier: invocation.qualifier } : {}),
    }),
    new sdk.InvokeFunctionHeaders(invocation.async ? { xFcInvocationType: 'Async' } : {}),
    new RuntimeOptions({}),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return { status: response.statusCode, headers: response.headers, text: Buffer.concat(chunks).toString() };
}
