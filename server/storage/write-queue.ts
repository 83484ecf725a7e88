import type Database from 'better-sqlite3';
import { logger } from '../logger';
import { WRITE_SQL, type WriteKey, type WriteOp } from './statements';
import { HeldWrites, describeDbError } from './held-writes.mjs';

/** Where storage sends its writes: queued, committed together, visible to reads after flush(). */
export interface Writer {
  /** Queues a write; returns its mark (the batch it goes out in), for isDurable(). */
  push(key: WriteKey, args: unknown[]): number;
  /** Commit everything queued so far; returns when a read on the main connection sees it. */
  flush(): void;
  /** Flush and stop; the main connection may be closed afterwards. */
  close(): void;
  readonly size: number;
  /** After flush(): true when the write with this mark is committed (not held back by a full disk). */
  isDurable(mark: number): boolean;
  /** What is not written yet because the database cannot take it (disk full…), and why. */
  readonly health: WriterHealth;
}

export interface WriterHealth {
  /** Operations held in memory, waiting to be written again. */
  heldWrites: number;
  /** Operations given up because too much was held (LIMIT_BYTES in held-writes.mjs). */
  droppedWrites: number;
  /** Why the held writes failed (e.g. "disk full (database or disk is full)"). */
  lastError?: string;
}

export interface WriterOptions {
  /** A write failed and will not be retried (a bug, a constraint), or writes were given up. */
  onError?: (err: unknown) => void;
  /** Writes are held (the database cannot take them now) — once per episode. */
  onHeld?: (reason: string) => void;
  /** Held writes are in the database again. */
  onResumed?: (committedOps: number) => void;
}

/**
 * Writes committed on the main connection, one transaction per event-loop turn (setImmediate, so
 * the frames of the turn are written first). Used for the memory driver, and for sqlite when the
 * writer thread is off or has failed. A batch the database cannot take (disk full) is held and
 * tried again, in order (held-writes.mjs).
 */
export class WriteQueue implements Writer {
  private ops: WriteOp[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private seq: number;
  private readonly held: HeldWrites;

  constructor(db: Database.Database, options: WriterOptions = {}, firstSeq = 0) {
    this.seq = firstSeq;
    const prepared = new Map<WriteKey, Database.Statement>();
    for (const key of Object.keys(WRITE_SQL) as WriteKey[]) prepared.set(key, db.prepare(WRITE_SQL[key]));
    const commit = db.transaction((ops: WriteOp[]) => {
      for (const [key, args] of ops) prepared.get(key)!.run(...args);
    });
    this.held = new HeldWrites((ops) => commit(ops as WriteOp[]), ([key, args]) => prepared.get(key as WriteKey)!.run(...args), writerEvents(options));
  }

  push(key: WriteKey, args: unknown[]): number {
    if (this.stopped) return this.seq + 1;
    this.ops.push([key, args]);
    this.scheduled ??= setImmediate(() => this.flush());
    return this.seq + 1;
  }

  /** A batch from elsewhere (the writer thread that died) with the number it was given there. */
  submitBatch(seq: number, ops: WriteOp[]): void {
    this.flush();
    this.seq = Math.max(this.seq, seq);
    this.held.submit(seq, ops);
  }

  get size(): number {
    return this.ops.length + this.held.heldOps;
  }

  isDurable(mark: number): boolean {
    const from = this.held.heldFrom;
    return mark <= this.seq && (from === 0 || mark < from);
  }

  get health(): WriterHealth {
    return { heldWrites: this.held.heldOps, droppedWrites: this.held.droppedOps, ...(this.held.lastError ? { lastError: this.held.lastError } : {}) };
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    // A failed batch is held or salvaged, never thrown: the caller of a later, unrelated write is not at fault.
    this.held.submit(++this.seq, ops);
  }

  close(): void {
    this.flush();
    // A last try; what is still held now is lost with the process (said so in the log).
    if (this.held.heldOps) this.held.retry();
    if (this.held.heldOps) logger.error({ heldWrites: this.held.heldOps, reason: this.held.lastError }, 'storage closed with writes it could not commit; they are lost');
    this.held.stopTimer();
    this.stopped = true;
  }
}

/** The HeldWrites events as the WriterOptions callbacks (with log lines). */
export function writerEvents(options: WriterOptions) {
  const onError = options.onError ?? ((err: unknown) => logger.error({ err }, 'storage write failed'));
  return {
    onHeld: (err: unknown) => {
      const reason = describeDbError(err);
      logger.error({ reason }, `storage cannot write (${reason}); messages are still delivered, writes are kept in memory and retried every second`);
      options.onHeld?.(reason);
    },
    onResumed: (ops: number) => {
      logger.warn({ ops }, `storage writes again; ${ops} held writes committed`);
      options.onResumed?.(ops);
    },
    onDropped: (batch: { seq: number; ops: number }) => {
      const err = new Error(`storage gave up ${batch.ops} held writes (more than the memory limit was waiting)`);
      logger.error({ ops: batch.ops }, err.message);
      onError(err);
    },
    onError: (err: unknown, what: string) => {
      logger.error({ err }, `storage: ${what}`);
      onError(err);
    },
  };
}
