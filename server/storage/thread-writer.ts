import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { logger } from '../logger';
import { WRITE_SQL, type WriteKey, type WriteOp } from './statements';
import { WriteQueue, type Writer, type WriterHealth, type WriterOptions } from './write-queue';

/** How long the event loop waits for the writer thread (start, a flush, close) before giving up on it. */
const WAIT_LIMIT_MS = 10_000;

const HANDLED = 0;
const CLOSED = 1;
const READY = 2;
const HELD_FROM = 3;
const HELD_OPS = 4;
const DROPPED_OPS = 5;

/**
 * Writes committed by a worker thread (`writer-thread.mjs`) on its own connection to the same WAL
 * database. The event loop only hands over each turn's batch (one postMessage, after the turn's
 * frames were written); the commit and SQLite's WAL checkpoints run beside it. A read first
 * waits (Atomics.wait) until everything handed over is handled, so reads still see earlier
 * writes. A batch the database cannot take (disk full) is held by the thread and retried, in order.
 * Every batch handed over is also kept here until it is committed: if the thread cannot start or
 * dies, those and all later writes go to the main connection, none lost.
 */
export class ThreadWriter implements Writer {
  private ops: WriteOp[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private posted = 0;
  /**
   * Batches handed to the thread and not yet known to be committed (held ones included), oldest
   * first. If the thread dies, these are written again on the main connection: a batch it was
   * committing is rolled back with it, and one committed just before it could say so is written
   * twice, which every statement allows (INSERT OR IGNORE, REPLACE, and updates that land on the
   * same state when replayed in order).
   */
  private inFlight: { seq: number; ops: WriteOp[] }[] = [];
  private readonly state: Int32Array;
  private readonly worker: Worker;
  private fallback: WriteQueue | undefined;
  private closed = false;
  private lastError: string | undefined;

  /** Returns undefined when the thread could not open the database (the caller writes locally). */
  static start(db: Database.Database, path: string, options: WriterOptions = {}): ThreadWriter | undefined {
    const writer = new ThreadWriter(db, path, options);
    return writer.waitReady() ? writer : (writer.abandon(), undefined);
  }

  private constructor(
    private readonly db: Database.Database,
    path: string,
    private readonly options: WriterOptions,
  ) {
    this.state = new Int32Array(new SharedArrayBuffer(24));
    this.worker = new Worker(new URL('./writer-thread.mjs', import.meta.url), {
      workerData: { path, statements: WRITE_SQL, shared: this.state.buffer },
    });
    this.worker.unref();
    this.worker.on('message', (message: { type: string; message?: string; reason?: string; ops?: number; seq?: number }) => {
      if (message.type === 'error') this.reportError(new Error(message.message));
      else if (message.type === 'held') {
        this.lastError = message.reason;
        logger.error({ reason: message.reason }, `storage cannot write (${message.reason}); messages are still delivered, writes are kept in memory and retried every second`);
        this.options.onHeld?.(message.reason ?? 'unknown');
      } else if (message.type === 'resumed') {
        this.lastError = undefined;
        this.prune();
        logger.warn({ ops: message.ops }, `storage writes again; ${message.ops} held writes committed`);
        this.options.onResumed?.(message.ops ?? 0);
      } else if (message.type === 'dropped') {
        this.inFlight = this.inFlight.filter((b) => b.seq !== message.seq);
        const err = new Error(`storage gave up ${message.ops} held writes (more than the memory limit was waiting)`);
        logger.error({ ops: message.ops }, err.message);
        this.reportError(err);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the writer thread exited (code ${code})`));
    });
  }

  push(key: WriteKey, args: unknown[]): number {
    if (this.closed) return this.posted + 1;
    if (this.fallback) return this.fallback.push(key, args);
    this.ops.push([key, args]);
    this.scheduled ??= setImmediate(() => this.post());
    return this.posted + 1;
  }

  get size(): number {
    return this.ops.length + (this.fallback?.size ?? Atomics.load(this.state, HELD_OPS));
  }

  isDurable(mark: number): boolean {
    if (this.fallback) return this.fallback.isDurable(mark);
    const handled = Atomics.load(this.state, HANDLED);
    const heldFrom = Atomics.load(this.state, HELD_FROM);
    // Sequence numbers wrap at 2^31: compare by difference.
    return ((handled - mark) | 0) >= 0 && (heldFrom === 0 || ((heldFrom - mark) | 0) > 0);
  }

  get health(): WriterHealth {
    if (this.fallback) return this.fallback.health;
    const heldWrites = Atomics.load(this.state, HELD_OPS);
    return { heldWrites, droppedWrites: Atomics.load(this.state, DROPPED_OPS), ...(heldWrites && this.lastError ? { lastError: this.lastError } : {}) };
  }

  flush(): void {
    if (this.fallback) return this.fallback.flush();
    this.post();
    const target = this.posted;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const handled = Atomics.load(this.state, HANDLED);
      if (((handled - target) | 0) >= 0) return this.prune();
      const left = deadline - Date.now();
      if (left <= 0 || this.fallback) break;
      Atomics.wait(this.state, HANDLED, handled, left);
    }
    if (!this.fallback) this.reportError(new Error(`the writer thread did not commit within ${WAIT_LIMIT_MS} ms`));
  }

  close(): void {
    if (this.closed) return;
    if (this.fallback) {
      this.closed = true;
      this.fallback.close();
      void this.worker.terminate();
      return;
    }
    this.flush();
    this.closed = true;
    this.worker.postMessage({ type: 'close' });
    // The thread's connection must be gone before the main one closes, so that the main close is the
    // last one and checkpoints the WAL into relay.db.
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Atomics.load(this.state, CLOSED) !== 1 && Date.now() < deadline) Atomics.wait(this.state, CLOSED, 0, deadline - Date.now());
    const left = Atomics.load(this.state, HELD_OPS);
    if (left) logger.error({ heldWrites: left, reason: this.lastError }, 'storage closed with writes it could not commit; they are lost');
  }

  private post(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.ops.length === 0 || this.fallback) return;
    this.posted = (this.posted + 1) | 0;
    this.inFlight.push({ seq: this.posted, ops: this.ops });
    this.worker.postMessage({ type: 'batch', seq: this.posted, ops: this.ops });
    this.ops = [];
    if (this.inFlight.length > 64) this.prune();
  }

  /** Forget the batches the thread has committed. */
  private prune(): void {
    let i = 0;
    while (i < this.inFlight.length && this.isDurable(this.inFlight[i].seq)) i++;
    if (i > 0) this.inFlight.splice(0, i);
  }

  private waitReady(): boolean {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (Atomics.load(this.state, READY) === 0 && Date.now() < deadline) Atomics.wait(this.state, READY, 0, deadline - Date.now());
    return Atomics.load(this.state, READY) === 1;
  }

  private abandon(): void {
    this.closed = true;
    void this.worker.terminate();
  }

  private fail(err: unknown): void {
    if (this.fallback || this.closed) return;
    this.prune();
    const again = this.inFlight;
    logger.error({ err, batches: again.length }, `storage writer thread failed; writing on the main thread from now on (${again.length} batches it had not committed are written there)`);
    // Batches the thread may have committed just before it died are written again: every write is
    // idempotent (INSERT OR IGNORE / OR REPLACE, status updates that only move forward).
    this.fallback = new WriteQueue(this.db, this.options, this.posted);
    for (const batch of again) this.fallback.submitBatch(batch.seq, batch.ops);
    this.inFlight = [];
    for (const [key, args] of this.ops) this.fallback.push(key, args);
    this.ops = [];
  }

  private reportError(err: Error): void {
    (this.options.onError ?? ((e) => logger.error({ err: e }, 'storage write failed')))(err);
  }
}
