import { Readable } from 'node:stream';
import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../../scripts/middyStreamWeb.ts';

describe('node:stream/web as the bundles give it to middy', () => {
  it('tells a web ReadableStream from anything else, as the real class does', () => {
    expect(new WebReadableStream() instanceof ReadableStream).toBe(true);
    expect(Readable.toWeb(Readable.from(['a'])) instanceof ReadableStream).toBe(true);
    for (const value of ['body', {}, null, undefined, Readable.from(['a'])]) {
      expect(value instanceof ReadableStream).toBe(false);
    }
  });
});
