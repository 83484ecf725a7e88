// The daemon's SQLite writer: commits the batches the event loop queues, on its own connection.
// Committing (WAL page writes, and now and then a checkpoint with two fsyncs) used to run on the
// event loop between messages and made up most of the routing latency tail. A batch the database
// cannot take now (disk full) is held with every batch after it and tried again (held-writes.mjs).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { HeldWrites, describeDbError } from './held-writes.mjs';

const { path, statements, shared } = workerData;
// [0] last batch handled (committed or held), [1] 1 when closed, [2] 1 when ready, -1 when the open
// failed, [3] first held batch (0: none), [4] operations held, [5] operations given up.
const state = new Int32Array(shared);

function signal(index, value) {
  Atomics.store(state, index, value);
  Atomics.notify(state, index);
}

function publishHeld() {
  Atomics.store(state, 3, held.heldFrom);
  Atomics.store(state, 4, held.heldOps);
  Atomics.store(state, 5, held.droppedOps);
}

const message = (err) => (err instanceof Error ? err.message : String(err));

let db;
let held;
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  const prepared = new Map(Object.entries(statements).map(([key, sql]) => [key, db.prepare(sql)]));
  const commit = db.transaction((ops) => {
    for (const [key, args] of ops) prepared.get(key).run(...args);
  });
  held = new HeldWrites(commit, ([key, args]) => prepared.get(key).run(...args), {
    onHeld: (err) => parentPort.postMessage({ type: 'held', reason: describeDbError(err) }),
    onResumed: (ops) => parentPort.postMessage({ type: 'resumed', ops }),
    onProgress: () => publishHeld(),
    onDropped: (batch) => parentPort.postMessage({ type: 'dropped', ...batch }),
    onError: (err, what) => parentPort.postMessage({ type: 'error', message: `${what}: ${message(err)}` }),
  });
  signal(2, 1);
} catch (err) {
  parentPort.postMessage({ type: 'error', message: message(err) });
  signal(2, -1);
}

parentPort.on('message', (msg) => {
  if (msg.type === 'close') {
    try {
      if (held?.heldOps) held.retry();
      held?.stopTimer();
      publishHeld();
      db?.close();
    } finally {
      signal(1, 1);
      parentPort.close();
    }
    return;
  }
  held.submit(msg.seq, msg.ops);
  // Published before the batch counts as handled: a reader that sees it handled also sees whether it is held.
  publishHeld();
  signal(0, msg.seq);
});
