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
