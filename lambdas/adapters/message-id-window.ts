/**
 * The recent message ids of a customer (the dedupe window) as DynamoDB stores them: packed in a
 * Binary attribute, and split in two so that a write does not carry the whole window.
 *
 * The engine remembers a long id as `~` and 11 base64url characters of a 64-bit hash (states
 * written before that hold `#` and 11 characters of its SHA-256): 66 bits either way, packed in
 * 9 bytes instead of 12 characters and JSON's quotes and comma. Any other id
 * (short ids are kept as they are, states older than digests hold raw UUIDs) is packed with its
 * length, so that any window round-trips exactly.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DIGIT = new Map([...ALPHABET].map((char, index) => [char, BigInt(index)]));
const DIGEST = /^[#~][A-Za-z0-9_-]{11}$/;
/**
 * First byte of a raw id; a digest's first byte holds its top 2 bits (0…3), plus HASH_64 for a
 * `~` key. (A reader from before `~` keys reads one as a `#` key: a missed duplicate, no error.)
 */
const RAW = 0x40;
const HASH_64 = 0x80;
const LOW_64 = (1n << 64n) - 1n;

/** Packs ids, oldest first: 9 bytes per digest, 3 bytes plus its UTF-8 for any other id. */
export function packIds(ids: readonly string[]): Uint8Array {
  const chunks: Buffer[] = [];
  for (const id of ids) {
    if (DIGEST.test(id)) {
      let bits = 0n;
      for (const char of id.slice(1)) bits = (bits << 6n) | (DIGIT.get(char) as bigint);
      const chunk = Buffer.alloc(9);
      chunk[0] = Number(bits >> 64n) | (id[0] === '~' ? HASH_64 : 0);
      chunk.writeBigUInt64BE(bits & LOW_64, 1);
      chunks.push(chunk);
    } else {
      const text = Buffer.from(id, 'utf8');
      const header = Buffer.alloc(3);
      header[0] = RAW;
      header.writeUInt16BE(text.byteLength, 1);
      chunks.push(header, text);
    }
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function unpackIds(packed: Uint8Array | undefined): string[] {
  if (packed === undefined) return [];
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const ids: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] === RAW) {
      const length = bytes.readUInt16BE(at + 1);
      ids.push(bytes.toString('utf8', at + 3, at + 3 + length));
      at += 3 + length;
    } else {
      const first = bytes[at] as number;
      let bits = (BigInt(first & 3) << 64n) | bytes.readBigUInt64BE(at + 1);
      let digest = '';
      for (let i = 0; i < 11; i += 1) {
        digest = ALPHABET[Number(bits & 63n)] + digest;
        bits >>= 6n;
      }
      ids.push(`${first & HASH_64 ? '~' : '#'}${digest}`);
      at += 9;
    }
  }
  return ids;
}

/**
 * The window as an older block (its own item, rewritten rarely) and the newest ids (in the hot
 * item): `window = (block ++ newest).slice(skip)`. The block is kept while the window still
 * starts inside it and at most `maxNewest` ids came after it; otherwise the whole window becomes
 * the new block.
 */
export interface SplitWindow {
  block: readonly string[];
  skip: number;
  newest: readonly string[];
}

export function splitWindow(
  window: readonly string[],
  previousBlock: readonly string[] | undefined,
  maxNewest: number,
): SplitWindow {
  if (previousBlock !== undefined && previousBlock.length > 0) {
    for (let skip = 0; skip < previousBlock.length; skip += 1) {
      const kept = previousBlock.length - skip;
      if (kept > window.length) continue;
      let matches = true;
      for (let i = 0; i < kept && matches; i += 1) matches = previousBlock[skip + i] === window[i];
      if (!matches) continue;
      const newest = window.slice(kept);
      if (newest.length <= maxNewest) return { block: previousBlock, skip, newest };
      break;
    }
  }
  return { block: window, skip: 0, newest: [] };
}

export const joinWindow = ({ block, skip, newest }: SplitWindow): string[] =>
  [...block, ...newest].slice(skip);
