import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { logger } from '../logger';
import { WRITE_SQL, type WriteKey, type WriteOp } from './statements';
import { WriteQueue, type Writer, type WriterOptions } from './write-queue';

/** How long the event loop waits for the writer thread (start, a flush, close) before giving up on it. */
const WAIT_LIMIT_MS = 10_000;

const COMMITTED = 0;
const CLOSED = 1;
const READY = 2;

/**
 * Writes committed by a worker thread (`writer-thread.mjs`) on its own connection to the same WAL
 * database. The event loop only hands over each turn's batch (one postMessage, after the turn's
 * frames were written); the commit and SQLite's WAL checkpoints run beside it. A read first
 * waits (Atomics.wait) until everything handed over is committed, so reads still see earlier
 * writes. If the thread cannot start or dies, writes go back to the main connection.
 */
export class ThreadWriter implements Writer {
  private ops: WriteOp[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private posted = 0;
  private readonly state: Int32Array;
  private readonly worker: Worker;
  private fallback: WriteQueue | undefined;
  private closed = false;

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
    this.state = new Int32Array(new SharedArrayBuffer(12));
    this.worker = new Worker(new URL('./writer-thread.mjs', import.meta.url), {
      workerData: { path, statements: WRITE_SQL, shared: this.state.buffer },
    });
    this.worker.unref();
    this.worker.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'error') this.reportError(new Error(message.message));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the writer thread exited (code ${code})`));
    });
  }

  push(key: WriteKey, args: unknown[]): void {
    if (this.closed) return;
    if (this.fallback) return this.fallback.push(key, args);
    this.ops.push([key, args]);
    this.scheduled ??= setImmediate(() => this.post());
  }

  get size(): number {
    return this.ops.length + (this.fallback?.size ?? 0);
  }

  flush(): void {
    if (this.fallback) return this.fallback.flush();
    this.post();
    const target = this.posted;
    const deadline = Date.now() + WAIT_LIMIT_MS;
    for (;;) {
      const committed = Atomics.load(this.state, COMMITTED);
      // Sequence numbers wrap at 2^31: compare by difference.
      if (((committed - target) | 0) >= 0) return;
      const left = deadline - Date.now();
      if (left <= 0 || this.fallback) break;
      Atomics.wait(this.state, COMMITTED, committed, left);
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
  }

  private post(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.ops.length === 0 || this.fallback) return;
    this.posted = (this.posted + 1) | 0;
    this.worker.postMessage({ type: 'batch', seq: this.posted, ops: this.ops });
    this.ops = [];
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
    logger.error({ err }, 'storage writer thread failed; writing on the main thread from now on (batches in flight may be lost)');
    this.fallback = new WriteQueue(this.db, this.options);
    for (const [key, args] of this.ops) this.fallback.push(key, args);
    this.ops = [];
  }

  private reportError(err: Error): void {
    (this.options.onError ?? ((e) => logger.error({ err: e }, 'storage write failed')))(err);
  }
}
