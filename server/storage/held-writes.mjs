// Writes the database could not take yet, kept in order and tried again. Plain JavaScript: the
// writer thread (writer-thread.mjs) runs without the TypeScript loader and uses it as it is; the
// main thread's WriteQueue uses the same code.
//
// A batch that fails with a transient error (the disk is full, an I/O error, the file is locked or
// read-only for now) is held, and so is every batch after it, so that an UPDATE never runs before
// the INSERT it refers to; the head is tried again every RETRY_MS and whenever a new batch comes
// (at most that often). Memory is bounded: past LIMIT_BYTES the oldest held batch is given up, and
// that is counted and reported. A batch that fails for any other reason (a bug, a constraint) is
// written operation by operation, so one bad row cannot stop the others.

export const RETRY_MS = 1000;
export const LIMIT_BYTES = 64 * 1024 * 1024;

const TRANSIENT = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|PROTOCOL|NOMEM)/;

/** @param {unknown} err */
export function isTransient(err) {
  const code = /** @type {{code?: unknown}} */ (err)?.code;
  return typeof code === 'string' && TRANSIENT.test(code);
}

/** @param {unknown} err */
export function describeDbError(err) {
  const code = /** @type {{code?: unknown}} */ (err)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_FULL') return `disk full (${message})`;
  return typeof code === 'string' ? `${code}: ${message}` : message;
}

/** Rough size of a batch in memory: the strings dominate (message bodies). @param {[string, unknown[]][]} ops */
function sizeOf(ops) {
  let bytes = 0;
  for (const [, args] of ops) {
    for (const a of args) {
      if (typeof a === 'string') bytes += a.length;
      else if (a && typeof a === 'object') for (const v of Object.values(a)) bytes += typeof v === 'string' ? v.length : 8;
      else bytes += 8;
    }
  }
  return bytes + 64 * ops.length;
}

/**
 * @typedef {[string, unknown[]]} Op
 * @typedef {{ seq: number; ops: Op[]; bytes: number }} HeldBatch
 * @typedef {{
 *   onHeld?: (err: unknown) => void,
 *   onResumed?: (committedOps: number) => void,
 *   onDropped?: (batch: { seq: number; ops: number }) => void,
 *   onError?: (err: unknown, what: string) => void,
 *   onProgress?: () => void,
 * }} HeldEvents
 */
export class HeldWrites {
  /**
   * @param {(ops: Op[]) => void} commit one transaction for the whole batch
   * @param {(op: Op) => void} commitOne one operation on its own
   * @param {HeldEvents} events
   */
  constructor(commit, commitOne, events = {}) {
    this.commit = commit;
    this.commitOne = commitOne;
    this.events = events;
    /** @type {HeldBatch[]} */
    this.held = [];
    this.heldBytes = 0;
    this.heldOps = 0;
    this.droppedOps = 0;
    this.lastTry = 0;
    /** @type {string | undefined} */
    this.lastError = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.timer = undefined;
  }

  /** Sequence number of the first held batch, 0 when nothing is held. */
  get heldFrom() {
    return this.held.length ? this.held[0].seq : 0;
  }

  /** Commit batch `seq` now, or hold it (behind what is held already). @param {number} seq @param {Op[]} ops */
  submit(seq, ops) {
    if (this.held.length) {
      this.hold(seq, ops);
      if (Date.now() - this.lastTry >= RETRY_MS) this.retry();
      return;
    }
    try {
      this.commit(ops);
    } catch (err) {
      if (isTransient(err)) this.hold(seq, ops, err);
      else this.salvage(ops, err);
    }
  }

  /** Try the held batches again, oldest first; stop at the first that still fails. */
  retry() {
    this.lastTry = Date.now();
    let committed = 0;
    while (this.held.length) {
      const batch = this.held[0];
      try {
        this.commit(batch.ops);
      } catch (err) {
        if (isTransient(err)) {
          this.lastError = describeDbError(err);
          this.events.onProgress?.();
          return;
        }
        this.salvage(batch.ops, err);
      }
      this.held.shift();
      this.heldBytes -= batch.bytes;
      this.heldOps -= batch.ops.length;
      committed += batch.ops.length;
    }
    this.stopTimer();
    this.lastError = undefined;
    this.events.onProgress?.();
    this.events.onResumed?.(committed);
  }

  /** @param {number} seq @param {Op[]} ops @param {unknown} [err] */
  hold(seq, ops, err) {
    const first = this.held.length === 0;
    const bytes = sizeOf(ops);
    this.held.push({ seq, ops, bytes });
    this.heldBytes += bytes;
    this.heldOps += ops.length;
    if (first) {
      this.lastTry = Date.now();
      this.lastError = describeDbError(err);
      this.events.onHeld?.(err);
      this.timer = setInterval(() => this.retry(), RETRY_MS);
      /** @type {{unref?: () => void}} */ (this.timer).unref?.();
    }
    while (this.heldBytes > LIMIT_BYTES && this.held.length > 1) {
      const dropped = /** @type {HeldBatch} */ (this.held.shift());
      this.heldBytes -= dropped.bytes;
      this.heldOps -= dropped.ops.length;
      this.droppedOps += dropped.ops.length;
      this.events.onDropped?.({ seq: dropped.seq, ops: dropped.ops.length });
    }
  }

  /** @param {Op[]} ops @param {unknown} err */
  salvage(ops, err) {
    this.events.onError?.(err, 'a write batch failed; its operations are written one by one');
    for (const op of ops) {
      try {
        this.commitOne(op);
      } catch (e) {
        this.events.onError?.(e, `the write "${op[0]}" failed and is skipped`);
      }
    }
  }

  stopTimer() {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
