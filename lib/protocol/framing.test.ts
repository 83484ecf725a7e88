import { describe, expect, it } from 'vitest';
import { FrameError, FrameParser, MAX_FRAME_BYTES, encodeFrame } from './framing';

const envelope = (n: number) => ({ v: 1, type: 'SEND', id: `id-${n}`, ts: n, payload: { body: `héllo ${n} ✓` } });

function rawFrame(body: string | Buffer, length?: number): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length ?? bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

describe('encodeFrame', () => {
  it('writes a 4-byte big-endian byte length then the UTF-8 JSON', () => {
    const frame = encodeFrame(envelope(1));
    const json = JSON.stringify(envelope(1));
    expect(frame.readUInt32BE(0)).toBe(Buffer.byteLength(json));
    expect(frame.subarray(4).toString('utf8')).toBe(json);
  });

  it('refuses an envelope larger than the cap', () => {
    expect(() => encodeFrame({ type: 'SEND', body: 'x'.repeat(MAX_FRAME_BYTES) })).toThrow(FrameError);
  });
});

describe('FrameParser', () => {
  it('returns every envelope from many frames merged into one chunk', () => {
    const parser = new FrameParser();
    const chunk = Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeFrame(envelope(i))));
    expect(parser.push(chunk).map((f) => f.id)).toEqual(Array.from({ length: 50 }, (_, i) => `id-${i}`));
    expect(parser.pendingBytes).toBe(0);
  });

  it('reassembles frames fed one byte at a time, multi-byte characters included', () => {
    const parser = new FrameParser();
    const bytes = Buffer.concat([encodeFrame(envelope(1)), encodeFrame(envelope(2))]);
    const out = [];
    for (const b of bytes) out.push(...parser.push(Buffer.from([b])));
    expect(out).toEqual([envelope(1), envelope(2)]);
  });

  it('reassembles frames split at every possible point', () => {
    const bytes = Buffer.concat([encodeFrame(envelope(1)), encodeFrame(envelope(2)), encodeFrame(envelope(3))]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new FrameParser();
      const out = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
      expect(out.map((f) => f.id)).toEqual(['id-1', 'id-2', 'id-3']);
    }
  });

  it('accepts a frame of exactly the cap and rejects one byte more from the header alone', () => {
    const parser = new FrameParser(100);
    const body = JSON.stringify({ type: 'X', pad: '' });
    const exact = JSON.stringify({ type: 'X', pad: 'p'.repeat(100 - body.length) });
    expect(parser.push(rawFrame(exact))).toHaveLength(1);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101, 0);
    expect(() => parser.push(header)).toThrow(expect.objectContaining({ reason: 'OVERSIZED' }));
  });

  it('rejects invalid JSON, and non-envelopes', () => {
    expect(() => new FrameParser().push(rawFrame('{"type":'))).toThrow(expect.objectContaining({ reason: 'INVALID_JSON' }));
    for (const body of ['[1,2]', 'null', '"str"', '{"type":5}', '{"no":"type"}']) {
      expect(() => new FrameParser().push(rawFrame(body))).toThrow(expect.objectContaining({ reason: 'NOT_ENVELOPE' }));
    }
  });

  it('keeps no half-read buffer after an error and stays failed', () => {
    const parser = new FrameParser();
    expect(() => parser.push(Buffer.concat([rawFrame('nope'), encodeFrame(envelope(1)).subarray(0, 5)]))).toThrow(FrameError);
    expect(parser.pendingBytes).toBe(0);
    expect(() => parser.push(encodeFrame(envelope(2)))).toThrow(FrameError);
  });

  it('hands over the good frames that preceded a bad one in the same chunk on the error', () => {
    const parser = new FrameParser();
    let caught: FrameError | undefined;
    try {
      parser.push(Buffer.concat([encodeFrame(envelope(1)), encodeFrame(envelope(2)), rawFrame('{bad')]));
    } catch (err) {
      caught = err as FrameError;
    }
    expect(caught?.reason).toBe('INVALID_JSON');
    expect(caught?.parsedBefore.map((f) => f.id)).toEqual(['id-1', 'id-2']);
  });

  it('handles a zero-length frame as invalid JSON', () => {
    expect(() => new FrameParser().push(rawFrame(''))).toThrow(expect.objectContaining({ reason: 'INVALID_JSON' }));
  });
});
