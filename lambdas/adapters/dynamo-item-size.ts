/**
 * DynamoDB item sizes, by the rules of
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
 * an item is the sum of its attribute names and values; strings are their UTF-8 bytes; numbers
 * about 1 byte per two significant digits plus 1; binary its bytes; booleans and null 1 byte; a
 * list or map 3 bytes plus its elements, each element 1 byte more (and a map's element its name
 * too). The customer store lays its state out by it (a hot item within 1 KB: one write unit),
 * and the bench counts capacity units with it.
 */

export const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Numbers: 1 byte per two significant digits, plus 1; leading and trailing zeros do not count. */
export function numberSize(value: number): number {
  let digits: number;
  if (Number.isSafeInteger(value)) {
    let n = Math.abs(value);
    while (n !== 0 && n % 10 === 0) n /= 10;
    digits = String(n).length;
  } else {
    digits = Math.abs(value).toExponential().replace(/e.*$/, '').replace('.', '').replace(/0+$/, '').length;
  }
  return Math.ceil(Math.max(digits, 1) / 2) + 1;
}

/** The size of a value as DynamoDB stores it (lib-dynamodb marshalling, undefined removed). */
export function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8(value);
  if (typeof value === 'number') return numberSize(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    // A list: 3 bytes, plus 1 byte per element.
    return 3 + value.filter((item) => item !== undefined).reduce((sum, item) => sum + 1 + valueSize(item), 0);
  }
  if (typeof value === 'object') {
    // A map: 3 bytes, plus each entry's name, its value and 1 byte per element.
    return (
      3 +
      Object.entries(value as Record<string, unknown>)
        .filter(([, item]) => item !== undefined)
        .reduce((sum, [name, item]) => sum + utf8(name) + 1 + valueSize(item), 0)
    );
  }
  throw new TypeError(`no DynamoDB type for ${typeof value}`);
}

/** An item: the sum of its attribute names and values (top-level attributes carry no per-element byte). */
export function dynamoItemSize(item: Record<string, unknown>): number {
  return Object.entries(item)
    .filter(([, value]) => value !== undefined)
    .reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);
}
