import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256 } from './sha256';

describe('incremental SHA-256 used by the page test hook', () => {
  it('matches node:crypto for empty input and for awkward chunk splits', () => {
    expect(new Sha256().hex()).toBe(createHash('sha256').digest('hex'));
    const data = randomBytes(200_003);
    const h = new Sha256();
    let i = 0;
    for (const size of [1, 63, 64, 65, 55, 56, 57, 4096, 100_000]) {
      h.update(data.subarray(i, i + size));
      i += size;
    }
    h.update(data.subarray(i));
    expect(h.hex()).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('can report a digest mid-stream and keep hashing', () => {
    const a = Buffer.from('hello '), b = Buffer.from('world');
    const h = new Sha256().update(a);
    expect(h.hex()).toBe(createHash('sha256').update(a).digest('hex'));
    h.update(b);
    expect(h.hex()).toBe(createHash('sha256').update(Buffer.concat([a, b])).digest('hex'));
  });
});
