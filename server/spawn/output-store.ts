import { open, type FileHandle } from 'node:fs/promises';
import type { OutputSlice } from './types';

/**
 * A worker's output by byte offset: a bounded in-memory ring for live viewers and a full
 * append-only log file for everything older. Log writes are batched: while one write is in
 * flight, new chunks gather and go out together in the next one (never a sync write per chunk).
 */

/** Bytes kept in memory per worker for live viewers; older bytes are read back from the log. */
export const RING_BYTES = 4 * 1024 * 1024;
export const DEFAULT_READ_MAX = 1024 * 1024;
/** Log writes wait this long for more chunks to join them... */
const LOG_GATHER_MS = 5;
/** ...or until this many bytes are pending. */
const LOG_BATCH_BYTES = 256 * 1024;

export class OutputStore {
  private ring: Buffer[] = [];
  private ringBytes = 0;
  private ringStart: number;
  private total: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Ends the current gathering wait early (enough bytes are pending). */
  private gathered: (() => void) | undefined;
  /** Readers waiting for the next batch to reach the file. */
  private batchWaiters: (() => void)[] = [];
  private written: number;
  private writing: Promise<void> | undefined;
  private file: Promise<FileHandle> | undefined;
  private writeError: Error | undefined;

  /**
   * `existingBytes`: a log already on disk from an earlier run (an exited worker loaded after a
   * restart) is served read-only; a fresh worker starts the log empty.
   */
  constructor(
    readonly logPath: string,
    existingBytes?: number,
    private readonly ringCap = RING_BYTES,
  ) {
    this.total = existingBytes ?? 0;
    this.ringStart = this.total;
    this.written = this.total;
    if (existingBytes === undefined) this.file = open(logPath, 'w');
  }

  get bytes(): number {
    return this.total;
  }

  append(chunk: Buffer): number {
    const start = this.total;
    this.total += chunk.length;
    this.ring.push(chunk);
    this.ringBytes += chunk.length;
    while (this.ringBytes - this.ring[0].length >= this.ringCap) {
      const dropped = this.ring.shift()!;
      this.ringBytes -= dropped.length;
      this.ringStart += dropped.length;
    }
    if (this.file) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (!this.writing) this.writing = this.writeLoop();
      else if (this.pendingBytes >= LOG_BATCH_BYTES) this.gathered?.();
    }
    return start;
  }

  private async writeLoop(): Promise<void> {
    try {
      const fh = await this.file!;
      while (this.pending.length > 0) {
        // Gather chunks for up to LOG_GATHER_MS or LOG_BATCH_BYTES into one write: a PTY delivers
        // ~4 KiB per read, and a write per chunk cost ~11% of the server's CPU in a flood
        // (docs/performance.md).
        if (this.pendingBytes < LOG_BATCH_BYTES) await this.gather();
        // writev, not a concatenated copy: the chunks are already in memory (the ring holds them).
        let batch = this.pending;
        const batchBytes = this.pendingBytes;
        this.pending = [];
        this.pendingBytes = 0;
        for (let left = batchBytes; left > 0; ) {
          const { bytesWritten } = await fh.writev(batch);
          left -= bytesWritten;
          if (left > 0) batch = dropFront(batch, bytesWritten);
        }
        this.written += batchBytes;
        for (const wake of this.batchWaiters.splice(0)) wake();
      }
    } catch (err) {
      this.writeError = err as Error;
      this.pending = [];
      this.pendingBytes = 0;
    } finally {
      this.writing = undefined;
      for (const wake of this.batchWaiters.splice(0)) wake();
    }
  }

  /**
   * Resolves once the log holds every byte before `offset`. Unlike flush() it does not wait for the
   * write loop to go idle, which during a continuous flood it may not do for a long time.
   */
  private async writtenUpTo(offset: number): Promise<void> {
    while (this.written < offset && this.writing) {
      this.gathered?.();
      await new Promise<void>((resolve) => this.batchWaiters.push(resolve));
    }
    if (this.writeError) throw this.writeError;
  }

  private gather(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.gathered = undefined;
        resolve();
      };
      const timer = setTimeout(done, LOG_GATHER_MS);
      this.gathered = done;
    });
  }

  /** Resolves when every appended byte is in the log file. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.writeError) throw this.writeError;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => {});
    const file = this.file;
    this.file = undefined;
    if (file) await (await file).close().catch(() => {});
  }

  async read(since: number, maxBytes = DEFAULT_READ_MAX): Promise<OutputSlice> {
    const from = Math.max(0, Math.min(since, this.total));
    const limit = Math.max(0, maxBytes);
    if (from >= this.ringStart) return this.readRing(from, limit);
    await this.writtenUpTo(Math.min(this.total, from + limit)).catch(() => {});
    const end = Math.min(this.written, from + limit);
    const data = Buffer.alloc(Math.max(0, end - from));
    const fh = await open(this.logPath, 'r').catch(() => undefined);
    if (!fh) return { start: from, data: Buffer.alloc(0), end: this.total };
    try {
      let off = 0;
      while (off < data.length) {
        const { bytesRead } = await fh.read(data, off, data.length - off, from + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return { start: from, data: data.subarray(0, off), end: this.total };
    } finally {
      await fh.close();
    }
  }

  private readRing(from: number, limit: number): OutputSlice {
    const parts: Buffer[] = [];
    let pos = this.ringStart;
    let taken = 0;
    for (const chunk of this.ring) {
      const chunkEnd = pos + chunk.length;
      if (chunkEnd > from && taken < limit) {
        const s = Math.max(0, from - pos);
        const part = chunk.subarray(s, Math.min(chunk.length, s + (limit - taken)));
        parts.push(part);
        taken += part.length;
      }
      pos = chunkEnd;
    }
    return { start: from, data: parts.length === 1 ? parts[0] : Buffer.concat(parts), end: this.total };
  }
}

/** `chunks` without their first `bytes` bytes (after a partial write). */
function dropFront(chunks: Buffer[], bytes: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && bytes >= chunks[i].length) bytes -= chunks[i++].length;
  const rest = chunks.slice(i);
  if (rest.length > 0 && bytes > 0) rest[0] = rest[0].subarray(bytes);
  return rest;
}
