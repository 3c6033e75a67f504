import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeId, encodeId, packChanges } from '#shared/stores/redis/codec.ts';

describe('members', () => {
  it('are UTF-8 for ids without astral characters', () => {
    for (const id of ['job-00001', '中文✓', 'a/b?c=d&e', '']) expect(encodeId(id)).toEqual(Buffer.from(id));
  });

  it('decode plain UTF-8 too (members written by someone else, for reports)', () => {
    expect(decodeId(Buffer.from('a😀中'))).toBe('a😀中');
  });

  it('round-trip any id, lone surrogates included', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
        (a, b) => {
          expect(decodeId(encodeId(a))).toBe(a);
          expect(decodeId(encodeId(b))).toBe(b);
        },
      ),
    );
  });

  it('sort as JavaScript sorts the ids', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const text = fc.oneof(fc.string({ unit }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(text, text, (a, b) => {
        const bytes = Math.sign(Buffer.compare(encodeId(a), encodeId(b)));
        expect(bytes).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});

describe('packChanges', () => {
  it('joins items with U+001F and jobs with U+001E, which JSON text never holds raw', () => {
    const items = [JSON.stringify('own\u001fer'), '3', 'lastError', JSON.stringify('a\u001eb\nc')];
    expect(packChanges([items, ['"o"', '0']])).toBe(
      '"own\\u001fer"\x1f3\x1flastError\x1f"a\\u001eb\\nc"\x1e"o"\x1f0',
    );
  });
});
