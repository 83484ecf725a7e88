import type Database from 'better-sqlite3';
import { logger } from '../logger';

/**
 * Writes are the daemon's hot path (every SEND stores a row and moves its status twice), so they
 * are queued and committed in one transaction per event-loop tick instead of one fsync each.
 */
export class WriteQueue {
  private ops: Database.Statement[] = [];
  private args: unknown[][] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private stopped = false;
  private readonly commit: (ops: Database.Statement[], args: unknown[][]) => void;

  constructor(
    db: Database.Database,
    private readonly onError: (err: unknown) => void = (err) => logger.error({ err }, 'storage write failed'),
  ) {
    this.commit = db.transaction((ops: Database.Statement[], args: unknown[][]) => {
      for (let i = 0; i < ops.length; i++) ops[i].run(...args[i]);
    });
  }

  push(stmt: Database.Statement, args: unknown[]): void {
    if (this.stopped) return;
    this.ops.push(stmt);
    this.args.push(args);
    if (!this.scheduled) this.scheduled = setImmediate(() => this.flush());
  }

  get size(): number {
    return this.ops.length;
  }

  flush(): void {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.ops.length === 0) return;
    const ops = this.ops;
    const args = this.args;
    this.ops = [];
    this.args = [];
    try {
      this.commit(ops, args);
    } catch (err) {
      // A failed batch is reported, not thrown: the caller of a later, unrelated write is not at fault.
      this.onError(err);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }
}
