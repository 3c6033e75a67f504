import { describe, expect, it } from 'vitest';
import { isRecord, parseJsonObject } from '#shared/json.ts';

describe('isRecord', () => {
  it('is true for an object with fields, and false for null, arrays and scalars', () => {
    expect(isRecord({ a: 1 })).toBe(true);
    expect(isRecord({})).toBe(true);
    for (const value of [null, undefined, [], [1], 'x', 1, true])
      expect(isRecord(value), String(value)).toBe(false);
  });
});

describe('parseJsonObject', () => {
  it('reads a JSON object', () => {
    expect(parseJsonObject('{"Code":"Throttling","n":1}')).toEqual({ Code: 'Throttling', n: 1 });
  });

  it('is undefined for text that is not JSON, and for JSON of another kind', () => {
    for (const text of ['', '<html>busy</html>', '{"a":', '[1]', 'null', '"x"', '3']) {
      expect(parseJsonObject(text), text).toBeUndefined();
    }
  });
});
