import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TickCork } from './cork';

/** A real Writable that records how its chunks reached it: one writev per batch, or single writes. */
function recorder(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk.toString()]);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      cb();
    },
  });
  return { stream, calls };
}

const tick = () => new Promise<void>((r) => process.nextTick(r));

describe('TickCork', () => {
  it('sends the frames written in one tick together, at the end of the tick', async () => {
    const { stream, calls } = recorder();
    const cork = new TickCork(stream);
    cork.write(Buffer.from('a'));
    cork.write(Buffer.from('b'));
    cork.write(Buffer.from('c'));
    expect(calls).toEqual([]);
    await tick();
    expect(calls).toEqual([['a', 'b', 'c']]);
    cork.write(Buffer.from('d'));
    await tick();
    expect(calls).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('flush() sends what is held at once, and a later write corks again', async () => {
    const { stream, calls } = recorder();
    const cork = new TickCork(stream);
    cork.write(Buffer.from('a'));
    cork.write(Buffer.from('b'));
    cork.flush();
    expect(calls).toEqual([['a', 'b']]);
    await tick();
    cork.write(Buffer.from('c'));
    expect(calls).toEqual([['a', 'b']]);
    await tick();
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });
});
