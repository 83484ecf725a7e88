import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OutputStore } from '../../server/spawn/output-store';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('OutputStore log batching', () => {
  it('reads bytes older than the ring from the log while output keeps arriving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-store-'));
    dirs.push(dir);
    // A 1 KiB ring, so offset 0 must come from the log file.
    const store = new OutputStore(join(dir, 'w.log'), undefined, 1024);
    let n = 0;
    const chunk = (i: number) => Buffer.from(`line ${String(i).padStart(6, '0')}\n`);
    for (; n < 200; n++) store.append(chunk(n));
    // Keep appending, as a flood would, while the read is pending: it must not wait for a pause.
    const flood = setInterval(() => {
      for (let k = 0; k < 20; k++) store.append(chunk(n++));
    }, 1);
    try {
      const slice = await store.read(0, 24);
      expect(slice.start).toBe(0);
      expect(slice.data.toString()).toBe('line 000000\nline 000001\n');
    } finally {
      clearInterval(flood);
      await store.close();
    }
  });

  it('reads from the ring exactly the bytes asked for, at any offset and length', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-store-'));
    dirs.push(dir);
    const store = new OutputStore(join(dir, 'w.log'), undefined, 64 * 1024);
    const all: Buffer[] = [];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    try {
      for (let i = 0; i < 3000; i++) {
        const chunk = Buffer.alloc(1 + rand(300), 65 + (i % 26));
        store.append(chunk);
        all.push(chunk);
        if (i % 10 !== 0) continue;
        const bytes = Buffer.concat(all);
        // Inside the ring (its oldest 64 KiB), up to the end, with limits smaller and larger than a chunk.
        const from = Math.max(0, bytes.length - 1 - rand(60 * 1024));
        const limit = [0, 1, 299, 4096, 100_000][rand(5)];
        const slice = await store.read(from, limit);
        expect(slice.start).toBe(from);
        expect(slice.end).toBe(bytes.length);
        expect(slice.data.equals(bytes.subarray(from, from + limit))).toBe(true);
      }
      const end = await store.read(Buffer.concat(all).length, 10);
      expect(end.data.length).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('writes every appended byte to the log in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'output-store-'));
    dirs.push(dir);
    const store = new OutputStore(join(dir, 'w.log'), undefined, 1024);
    const parts: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      const b = Buffer.from(`${i},`);
      parts.push(b);
      store.append(b);
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await store.flush();
    const all = Buffer.concat(parts);
    const slice = await store.read(0, all.length);
    expect(slice.data.equals(all)).toBe(true);
    await store.close();
  });
});
