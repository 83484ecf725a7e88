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

/**
 * A stretch of the output that is not in the log file (the disk was full, or a write failed).
 * `to` is null while it is still open: nothing is written until a retry succeeds.
 */
export interface LogGap {
  from: number;
  to: number | null;
  /** 'disk full', or the error that stopped the writes. */
  reason: string;
}

/** A read asked for bytes that are in neither the log nor the in-memory ring. */
export class OutputGapError extends Error {
  readonly code = 'OUTPUT_GAP';
  constructor(
    /** What the reader cannot have: from `from` up to `to` (exclusive), which is readable again. */
    readonly gap: { from: number; to: number },
    readonly reason: string,
  ) {
    super(`bytes ${gap.from}-${gap.to} are not in the output log (${reason})`);
    this.name = 'OutputGapError';
  }
}

/** While a gap is open, how often a write is tried again (chunks in between join the gap). */
export const LOG_RETRY_MS = 500;

export class OutputStore {
  private ring: Buffer[] = [];
  /** Stream offset of the end of each ring chunk, so a read finds its first chunk by binary search. */
  private ringEnds: number[] = [];
  private ringBytes = 0;
  private ringStart: number;
  private total: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Stream offset of pending[0]. */
  private pendingStart = 0;
  /** Ends the current gathering wait early (enough bytes are pending). */
  private gathered: (() => void) | undefined;
  /** Readers waiting for the next batch to reach the file. */
  private batchWaiters: (() => void)[] = [];
  /** Every byte before this offset is in the log or in a recorded gap. */
  private logged: number;
  private writing: Promise<void> | undefined;
  private file: Promise<FileHandle> | undefined;
  /** A fresh worker's store writes its log; an archived one only reads. */
  private logging: boolean;
  private readonly gaps: LogGap[];
  private retryAt = 0;
  private gapListener: ((gap: LogGap) => void) | undefined;

  /**
   * `existingBytes`: a log already on disk from an earlier run (an exited worker loaded after a
   * restart) is served read-only, with the gaps recorded then; a fresh worker starts the log empty.
   */
  constructor(
    readonly logPath: string,
    existingBytes?: number,
    private readonly ringCap = RING_BYTES,
    existingGaps: LogGap[] = [],
  ) {
    this.total = existingBytes ?? 0;
    this.ringStart = this.total;
    this.logged = this.total;
    this.logging = existingBytes === undefined;
    this.gaps = existingGaps.map((g) => ({ ...g, to: g.to ?? this.total }));
  }

  get bytes(): number {
    return this.total;
  }

  /** The stretches missing from the log, oldest first (copies). */
  get logGaps(): LogGap[] {
    return this.gaps.map((g) => ({ ...g }));
  }

  /** Called when a gap opens and when it closes (writing resumed). */
  onGap(listener: (gap: LogGap) => void): void {
    this.gapListener = listener;
  }

  append(chunk: Buffer): number {
    const start = this.total;
    this.total += chunk.length;
    this.ring.push(chunk);
    this.ringEnds.push(this.total);
    this.ringBytes += chunk.length;
    while (this.ringBytes - this.ring[0].length >= this.ringCap) {
      const dropped = this.ring.shift()!;
      this.ringEnds.shift();
      this.ringBytes -= dropped.length;
      this.ringStart += dropped.length;
    }
    if (this.logging) {
      if (this.openGap() && !this.writing && Date.now() < this.retryAt) {
        // The disk is still full: these bytes join the gap; a write is tried again soon.
        this.logged = this.total;
        return start;
      }
      if (this.pendingBytes === 0) this.pendingStart = start;
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (!this.writing) this.writing = this.writeLoop();
      else if (this.pendingBytes >= LOG_BATCH_BYTES) this.gathered?.();
    }
    return start;
  }

  private openGap(): LogGap | undefined {
    const last = this.gaps[this.gaps.length - 1];
    return last && last.to === null ? last : undefined;
  }

  private handle(): Promise<FileHandle> {
    // Opened (and truncated) once; if that fails, the next attempt opens it again.
    // 0600: a terminal's output is as private as the messages (issue 10).
    this.file ??= open(this.logPath, 'w', 0o600).catch((err: unknown) => {
      this.file = undefined;
      throw err;
    });
    return this.file;
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        // Gather chunks for up to LOG_GATHER_MS or LOG_BATCH_BYTES into one write: a PTY delivers
        // ~4 KiB per read, and a write per chunk cost ~11% of the server's CPU in a flood
        // (docs/performance.md).
        if (this.pendingBytes < LOG_BATCH_BYTES && !this.openGap()) await this.gather();
        // writev, not a concatenated copy: the chunks are already in memory (the ring holds them).
        let batch = this.pending;
        const batchBytes = this.pendingBytes;
        const batchStart = this.pendingStart;
        this.pending = [];
        this.pendingBytes = 0;
        this.pendingStart = batchStart + batchBytes;
        // Positional: after a gap the bytes still land at their own offsets (the gap is a hole).
        let pos = batchStart;
        try {
          const fh = await this.handle();
          for (let left = batchBytes; left > 0; ) {
            const { bytesWritten } = await fh.writev(batch, pos);
            if (bytesWritten === 0) throw Object.assign(new Error('no progress writing the output log'), { code: 'EIO' });
            pos += bytesWritten;
            left -= bytesWritten;
            if (left > 0) batch = dropFront(batch, bytesWritten);
          }
          const gap = this.openGap();
          if (gap) {
            gap.to = batchStart;
            this.gapListener?.({ ...gap });
          }
        } catch (err) {
          // Bytes from `pos` on are not in the log; so is what is queued behind them.
          this.retryAt = Date.now() + LOG_RETRY_MS;
          if (!this.openGap()) {
            const gap: LogGap = { from: pos, to: null, reason: describeWriteError(err) };
            this.gaps.push(gap);
            this.gapListener?.({ ...gap });
          }
          this.pending = [];
          this.pendingBytes = 0;
          this.pendingStart = this.total;
          this.logged = this.total;
        }
        this.logged = Math.max(this.logged, batchStart + batchBytes);
        for (const wake of this.batchWaiters.splice(0)) wake();
      }
    } finally {
      this.writing = undefined;
      for (const wake of this.batchWaiters.splice(0)) wake();
    }
  }

  /**
   * Resolves once the log holds every byte before `offset` (or knows it lost them). Unlike flush()
   * it does not wait for the write loop to go idle, which during a continuous flood it may not do
   * for a long time.
   */
  private async writtenUpTo(offset: number): Promise<void> {
    while (this.logged < offset && this.writing) {
      this.gathered?.();
      await new Promise<void>((resolve) => this.batchWaiters.push(resolve));
    }
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

  /** Resolves when every appended byte is in the log file or in a recorded gap. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** After the last output: nothing more is written. An open gap ends at the end of the output. */
  async close(): Promise<void> {
    await this.flush();
    this.logging = false;
    const gap = this.openGap();
    if (gap) gap.to = this.total;
    const file = this.file;
    this.file = undefined;
    if (file) await (await file.catch(() => undefined))?.close().catch(() => {});
  }

  /**
   * From `since`, at most `maxBytes`: from the ring, or from the log for older bytes. A read that
   * starts in a gap the ring does not cover throws OutputGapError; one that runs into a gap stops
   * at its start.
   */
  async read(since: number, maxBytes = DEFAULT_READ_MAX): Promise<OutputSlice> {
    const from = Math.max(0, Math.min(since, this.total));
    const limit = Math.max(0, maxBytes);
    if (from >= this.ringStart) return this.readRing(from, limit);
    await this.writtenUpTo(Math.min(this.total, from + limit));
    const inGap = this.gaps.find((g) => from >= g.from && from < (g.to ?? Infinity));
    if (inGap) throw new OutputGapError({ from: inGap.from, to: Math.min(inGap.to ?? Infinity, this.ringStart) }, inGap.reason);
    const nextGap = this.gaps.find((g) => g.from > from);
    const end = Math.min(this.logged, from + limit, nextGap?.from ?? Infinity);
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
    // The first chunk ending after `from` (binary search: a 4 MiB ring holds ~1,000 PTY reads, and a
    // viewer catching up reads it 64 KiB at a time — walking every chunk per read showed in profiles).
    const ends = this.ringEnds;
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid] > from) hi = mid;
      else lo = mid + 1;
    }
    const parts: Buffer[] = [];
    let taken = 0;
    for (let i = lo; i < this.ring.length && taken < limit; i++) {
      const chunk = this.ring[i];
      const s = Math.max(0, from - (ends[i] - chunk.length));
      const part = chunk.subarray(s, Math.min(chunk.length, s + (limit - taken)));
      parts.push(part);
      taken += part.length;
    }
    return { start: from, data: parts.length === 1 ? parts[0] : Buffer.concat(parts), end: this.total };
  }
}

/** 'disk full' for the errors that mean it; otherwise the error's code and message. */
export function describeWriteError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') return 'disk full';
  if (code === 'EDQUOT') return 'disk quota exceeded';
  const message = err instanceof Error ? err.message : String(err);
  return code ? `${code}: ${message}` : message;
}

/** `chunks` without their first `bytes` bytes (after a partial write). */
function dropFront(chunks: Buffer[], bytes: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && bytes >= chunks[i].length) bytes -= chunks[i++].length;
  const rest = chunks.slice(i);
  if (rest.length > 0 && bytes > 0) rest[0] = rest[0].subarray(bytes);
  return rest;
}
