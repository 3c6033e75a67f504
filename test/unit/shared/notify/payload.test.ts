import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildNotification, headerValue, MAX_PAYLOAD_BYTES } from '#shared/notify/payload.ts';
import { endedJob, T0 } from '#test/helpers/notifyTargets.ts';

const bytes = (body: string) => Buffer.byteLength(body, 'utf8');

describe('buildNotification', () => {
  it('says how the job ended, with ISO 8601 times and an idempotency key', () => {
    const { payload, body } = buildNotification(endedJob());
    expect(payload).toEqual({
      jobId: 'job-1',
      state: 'succeeded',
      status: 'FINISHED',
      images: ['0000.png', '0001.png'],
      imagesTruncated: false,
      imageCount: 2,
      attempts: 7,
      firstSeenAt: '2026-11-25T08:00:00.000Z',
      finishedAt: '2026-11-25T08:03:10.000Z',
      reason: null,
      idempotencyKey: 'job-1:succeeded',
    });
    expect(JSON.parse(body)).toEqual(payload);
  });

  it('keys a repeat of the same news alike, and different news differently', () => {
    const gaveUp = endedJob({ state: 'gave_up', status: 'INFERRING', images: [], reason: 'too old' });
    expect(buildNotification(gaveUp).payload).toMatchObject({
      state: 'gave_up',
      reason: 'too old',
      idempotencyKey: 'job-1:gave_up',
    });
    expect(buildNotification({ ...gaveUp, notifyAttempts: 3 }).body).toBe(buildNotification(gaveUp).body);
    expect(buildNotification(endedJob({ state: 'failed' })).payload.idempotencyKey).toBe('job-1:failed');
  });

  it('gives null for a missing end time', () => {
    expect(buildNotification(endedJob({ finishedAt: null })).payload.finishedAt).toBeNull();
  });

  it('refuses a job that has not ended', () => {
    expect(() => buildNotification(endedJob({ state: 'pending' }))).toThrow(/has not ended/);
  });

  it('keeps as many images as fit under the FC asynchronous payload limit, and says so', () => {
    const images = Array.from({ length: 8000 }, (_, i) => `images/${String(i).padStart(6, '0')}.png`);
    const { payload, body } = buildNotification(endedJob({ images, finishedAt: T0 }));
    expect(bytes(body)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(payload.imagesTruncated).toBe(true);
    expect(payload.imageCount).toBe(8000);
    expect(payload.images).toEqual(images.slice(0, payload.images.length));
    // One more image would not have fitted.
    const oneMore = JSON.stringify({ ...payload, images: images.slice(0, payload.images.length + 1) });
    expect(bytes(oneMore)).toBeGreaterThan(MAX_PAYLOAD_BYTES);
  });

  it('always fits, keeping a prefix of the images (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }), { maxLength: 1500 }),
        (images) => {
          const { payload, body } = buildNotification(endedJob({ images }));
          expect(bytes(body)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
          expect(payload.images).toEqual(images.slice(0, payload.images.length));
          expect(payload.imagesTruncated).toBe(payload.images.length < images.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('headerValue', () => {
  it('leaves printable ASCII without % as it is: every real job id', () => {
    expect(headerValue('20240712144419362931:succeeded')).toBe('20240712144419362931:succeeded');
    expect(buildNotification(endedJob()).idempotencyHeader).toBe('job-1:succeeded');
  });

  it('percent-encodes the rest as UTF-8, % included, so any id aicontent takes can go in a header', () => {
    expect(headerValue('任务 1%:failed')).toBe('%E4%BB%BB%E5%8A%A1%201%25:failed');
    expect(buildNotification(endedJob({ id: 'é😀' })).idempotencyHeader).toBe('%C3%A9%F0%9F%98%80:succeeded');
  });

  it('gives only printable ASCII, which decodeURIComponent turns back into the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (text) => {
        const value = headerValue(text);
        expect(value).toMatch(/^[\x21-\x7e]*$/);
        expect(decodeURIComponent(value)).toBe(text);
      }),
    );
  });
});
