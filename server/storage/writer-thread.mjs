// The daemon's SQLite writer: commits the batches the event loop queues, on its own connection.
// Committing (WAL page writes, and now and then a checkpoint with two fsyncs) used to run on the
// event loop between messages and made up most of the routing latency tail.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, statements, shared } = workerData;
// [0] last committed batch, [1] 1 when closed, [2] 1 when ready, -1 when the open failed.
const state = new Int32Array(shared);

function signal(index, value) {
  Atomics.store(state, index, value);
  Atomics.notify(state, index);
}

let db;
let commit;
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 2000');
  const prepared = new Map(Object.entries(statements).map(([key, sql]) => [key, db.prepare(sql)]));
  commit = db.transaction((ops) => {
    for (const [key, args] of ops) prepared.get(key).run(...args);
  });
  signal(2, 1);
} catch (err) {
  parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  signal(2, -1);
}

parentPort.on('message', (message) => {
  if (message.type === 'close') {
    try {
      db?.close();
    } finally {
      signal(1, 1);
      parentPort.close();
    }
    return;
  }
  try {
    commit(message.ops);
  } catch (err) {
    parentPort.postMessage({ type: 'error', seq: message.seq, message: err instanceof Error ? err.message : String(err) });
  }
  signal(0, message.seq);
});
