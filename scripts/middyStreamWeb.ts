/**
 * What the bundles give `@middy/core` for `node:stream/web` (scripts/build.ts, `middyWithoutWebStreams`).
 * middy imports that module for its `streamifyResponse` mode, which runs only under AWS Lambda (its
 * `awslambda` global), never on FC; yet the import alone loaded Node's web streams at every cold start,
 * the largest single cost of the query function's init. Its one use is `value instanceof ReadableStream`,
 * which this answers as the real class would: Node's global `ReadableStream` is that class, and Node
 * loads it only when it is first read.
 */
export const ReadableStream = {
  [Symbol.hasInstance]: (value: unknown): boolean => value instanceof globalThis.ReadableStream,
};
