/**
 * Wire framing of protocol v1: a 4-byte unsigned big-endian length N, then N bytes of UTF-8 JSON.
 * There is no format byte. N is capped at MAX_FRAME_BYTES.
 */
export const MAX_FRAME_BYTES = 1_048_576;
const HEADER_BYTES = 4;

export class FrameError extends Error {
  /** Complete envelopes that came before the bad frame in the same push: handle them, then close. */
  parsedBefore: ParsedFrame[] = [];

  constructor(
    readonly reason: 'OVERSIZED' | 'INVALID_JSON' | 'NOT_ENVELOPE',
    message: string,
  ) {
    super(message);
  }
}

/** Encode one envelope as a frame. Throws FrameError('OVERSIZED') when it would exceed the cap. */
export function encodeFrame(envelope: unknown): Buffer {
  const json = JSON.stringify(envelope);
  const length = Buffer.byteLength(json, 'utf8');
  if (length > MAX_FRAME_BYTES) {
    throw new FrameError('OVERSIZED', `Frame of ${length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit.`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.write(json, HEADER_BYTES, 'utf8');
  return frame;
}

export interface ParsedFrame {
  type: string;
  [key: string]: unknown;
}

/**
 * Incremental parser: feed it whatever the socket gives (any split or merge of frames) and it
 * returns every complete envelope. After an error the parser is poisoned: the connection must be
 * closed, and no half-read buffer is kept.
 */
export class FrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed = false;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Returns complete envelopes; throws FrameError on an oversized, non-JSON or non-envelope frame. */
  push(data: Buffer): ParsedFrame[] {
    if (this.failed) throw new FrameError('NOT_ENVELOPE', 'Parser already failed; close the connection.');
    this.chunks.push(data);
    this.buffered += data.length;
    const out: ParsedFrame[] = [];
    try {
      this.parseInto(out);
    } catch (err) {
      if (err instanceof FrameError) err.parsedBefore = out;
      throw err;
    }
    return out;
  }

  private parseInto(out: ParsedFrame[]): void {
    while (this.buffered >= HEADER_BYTES) {
      const head = this.peekHeader();
      if (head > this.maxFrameBytes) {
        this.fail();
        throw new FrameError('OVERSIZED', `Frame of ${head} bytes exceeds the ${this.maxFrameBytes}-byte limit.`);
      }
      if (this.buffered < HEADER_BYTES + head) break;
      const body = this.take(HEADER_BYTES + head).subarray(HEADER_BYTES);
      let value: unknown;
      try {
        value = JSON.parse(body.toString('utf8'));
      } catch {
        this.fail();
        throw new FrameError('INVALID_JSON', 'Frame body is not valid JSON.');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
        this.fail();
        throw new FrameError('NOT_ENVELOPE', 'Frame is not an object with a string "type".');
      }
      out.push(value as ParsedFrame);
    }
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private fail(): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
  }

  private peekHeader(): number {
    const first = this.chunks[0];
    if (first.length >= HEADER_BYTES) return first.readUInt32BE(0);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.readUInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length === n) {
      this.chunks.shift();
      this.buffered -= n;
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const joined = Buffer.concat(this.chunks);
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.buffered -= n;
    return joined.subarray(0, n);
  }
}
