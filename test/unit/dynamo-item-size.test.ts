import { describe, expect, it } from 'vitest';
import { dynamoItemSize, numberSize } from '../../bench/dynamo-item-size.js';

// The bench's DynamoDB item size (what read and write units are computed from), checked against
// the rules of https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
describe('dynamoItemSize', () => {
  it('counts a string attribute as its name plus its UTF-8 bytes', () => {
    expect(dynamoItemSize({ pk: 'acme#claire' })).toBe(2 + 11);
    // "é" is two bytes in UTF-8, "€" three.
    expect(dynamoItemSize({ name: 'Écoute €' })).toBe(4 + 11);
  });

  it('counts a number as 1 byte per two significant digits plus 1, leading and trailing zeros trimmed', () => {
    expect(numberSize(0)).toBe(2);
    expect(numberSize(7)).toBe(2);
    expect(numberSize(42)).toBe(2);
    expect(numberSize(123)).toBe(3);
    expect(numberSize(1_000_000)).toBe(2);
    expect(numberSize(1_790_000_000)).toBe(3);
    expect(numberSize(-12_345)).toBe(4);
    expect(numberSize(0.000_12)).toBe(2);
    expect(numberSize(2.718_5)).toBe(4);
    expect(dynamoItemSize({ version: 12 })).toBe(7 + 2);
  });

  it('counts booleans and null as 1 byte', () => {
    expect(dynamoItemSize({ ok: true, gone: null })).toBe(2 + 1 + 4 + 1);
  });

  it('counts a list or map as 3 bytes plus each element, 1 byte more per element, map keys included', () => {
    expect(dynamoItemSize({ ids: [] })).toBe(3 + 3);
    expect(dynamoItemSize({ ids: ['ab', 'cde'] })).toBe(3 + 3 + (1 + 2) + (1 + 3));
    expect(dynamoItemSize({ m: { a: 1, bc: 'x' } })).toBe(1 + 3 + (1 + 1 + 2) + (2 + 1 + 1));
    expect(dynamoItemSize({ m: { inner: [[20_000, 3]] } })).toBe(
      1 + 3 + (5 + 1 + (3 + 1 + (3 + (1 + 2) + (1 + 2)))),
    );
  });

  it('leaves out undefined values, as the document client removes them', () => {
    expect(dynamoItemSize({ a: 'x', b: undefined, m: { c: undefined } })).toBe(1 + 1 + 1 + 3);
  });
});
