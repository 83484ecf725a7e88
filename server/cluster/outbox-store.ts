import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { logger } from '../logger';

/**
 * The outbox on disk (docs/cluster.md, Messages across nodes, 3): a message for another node is
 * written here when it is handed to the outbox and removed once the stream has it, so a node that
 * dies with messages not yet published (NATS away, or just in flight) publishes them when it starts
 * again, in order. Its own small SQLite file beside relay.db, written once per event-loop turn: ONE
 * row per turn holding that turn's messages (a row per message cost a fifth of the sending node's
 * CPU in a flood), deleted once every message in it is in the stream. A row whose messages went out
 * in part is published whole after a crash, marked so that receivers check their database.
 */

export interface StoredOutgoing {
  seq: number;
  recipient: string;
  id: string;
  json: string;
}

export const OUTBOX_FILE = 'cluster-outbox.db';

export class OutboxStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly adds: Array<[string, (seq: number) => void]> = [];
  private readonly removes: number[] = [];
  /** Row → how many of its messages are not in the stream yet. */
  private readonly remaining = new Map<number, number>();
  private flushing: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(dataDir: string) {
    const path = join(dataDir, OUTBOX_FILE);
    this.db = new Database(path);
    // Only this connection ever opens the file: held locked, SQLite skips the per-transaction file
    // locks, and set before the first WAL access, the shared-memory index too (no -shm file).
    this.db.pragma('locking_mode = EXCLUSIVE');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // One message's JSON per line (JSON.stringify never writes a raw newline).
    this.db.exec('CREATE TABLE IF NOT EXISTS outbox_turns (seq INTEGER PRIMARY KEY AUTOINCREMENT, lines TEXT NOT NULL)');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    this.insert = this.db.prepare('INSERT INTO outbox_turns (lines) VALUES (?)');
    this.remove = this.db.prepare('DELETE FROM outbox_turns WHERE seq = ?');
  }

  /** What an earlier run left unpublished, oldest first; each message's `seq` is its row's. */
  load(): StoredOutgoing[] {
    const out: StoredOutgoing[] = [];
    for (const row of this.db.prepare('SELECT seq, lines FROM outbox_turns ORDER BY seq').all() as Array<{ seq: number; lines: string }>) {
      let count = 0;
      for (const json of row.lines.split('\n')) {
        try {
          const m = JSON.parse(json) as { to?: unknown; id?: unknown };
          if (typeof m.to !== 'string' || typeof m.id !== 'string') throw new Error('no to or id');
          out.push({ seq: row.seq, recipient: m.to, id: m.id, json });
          count++;
        } catch (err) {
          logger.error({ err, seq: row.seq }, 'cluster: skipped an unreadable message in the outbox on disk');
        }
      }
      if (count > 0) this.remaining.set(row.seq, count);
      else this.removes.push(row.seq);
    }
    if (this.removes.length > 0) this.schedule();
    return out;
  }

  /** Keep `json` until `done(seq)`; `onSeq` gets its row number once written (this turn's end). */
  add(json: string, onSeq: (seq: number) => void): void {
    if (this.closed) return;
    this.adds.push([json, onSeq]);
    this.schedule();
  }

  /** One message of row `seq` is in the stream; the row goes with its last one. */
  done(seq: number): void {
    if (this.closed) return;
    const left = (this.remaining.get(seq) ?? 1) - 1;
    if (left > 0) {
      this.remaining.set(seq, left);
      return;
    }
    this.remaining.delete(seq);
    this.removes.push(seq);
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  private schedule(): void {
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.closed || (this.adds.length === 0 && this.removes.length === 0)) return;
    const adds = this.adds.splice(0);
    const removes = this.removes.splice(0);
    try {
      this.db.transaction(() => {
        if (adds.length > 0) {
          const seq = Number(this.insert.run(adds.map(([json]) => json).join('\n')).lastInsertRowid);
          this.remaining.set(seq, adds.length);
          for (const [, onSeq] of adds) onSeq(seq);
        }
        for (const seq of removes) this.remove.run(seq);
      })();
    } catch (err) {
      // The messages are still in memory and will be published; only a restart before then loses them.
      logger.error({ err }, 'cluster: could not write the outbox to disk; queued messages are kept in memory only');
    }
  }
}
