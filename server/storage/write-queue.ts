import type Database from 'better-sqlite3';
import { logger } from '../logger';
import { WRITE_SQL, type WriteKey, type WriteOp } from './statements';

/** Where storage sends its writes: queued, committed together, visible to reads after flush(). */
export interface Writer {
  push(key: WriteKey, args: unknown[]): void;
  /** Commit everything queued so far; returns when a read on the main connection sees it. */
  flush(): void;
  /** Flush and stop; the main connection may be closed afterwards. */
  close(): void;
  readonly size: number;
}

export interface WriterOptions {
  onError?: (err: unknown) => void;
}

/**
 * Writes committed on the main connection, one transaction per event-loop turn (setImmediate, so
 * the frames of the turn are written first). Used for the memory driver, and for sqlite when the
 * writer thread is off or has failed.
 */
export class WriteQueue implements Writer {
  private ops: WriteOp[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly commit: (ops: WriteOp[]) => void;
  private readonly onError: (err: unknown) => void;

  constructor(db: Database.Database, options: WriterOptions = {}) {
    this.onError = options.onError ?? ((err) => logger.error({ err }, 'storage write failed'));
    const prepared = new Map<WriteKey, Database.Statement>();
    for (const key of Object.keys(WRITE_SQL) as WriteKey[]) prepared.set(key, db.prepare(WRITE_SQL[key]));
    this.commit = db.transaction((ops: WriteOp[]) => {
      for (const [key, args] of ops) prepared.get(key)!.run(...args);
    });
  }

  push(key: WriteKey, args: unknown[]): void {
    if (this.stopped) return;
    this.ops.push([key, args]);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  get size(): number {
    return this.ops.length;
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    try {
      this.commit(ops);
    } catch (err) {
      // A failed batch is reported, not thrown: the caller of a later, unrelated write is not at fault.
      this.onError(err);
    }
  }

  close(): void {
    this.flush();
    this.stopped = true;
  }
}
