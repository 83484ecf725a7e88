import { createHash } from 'node:crypto';
import { attach, connectViewer, drive } from '../relay';
import { READY_LINE } from './ready';

/**
 * The e2e stream viewer, run as its own process (`node --import tsx`), so the server does not share
 * a CPU-time slice with the reader. It attaches to a worker running `flood.mjs --wait`, waits for
 * the producer's "ready" line, types the go key, then counts and hashes every byte after it.
 * `renderMbps` > 0 makes it a slow viewer: it acknowledges ("renders") at most that many MB/s.
 * Prints one JSON line with what it saw.
 */

interface Options {
  origin: string;
  token: string;
  name: string;
  /** Bytes of the flood as the terminal delivers it (after the ready line). */
  expectBytes: number;
  renderMbps: number;
  timeoutMs: number;
  /** Connect and attach timeout (default 10 s); the valgrind harness needs minutes. */
  connectTimeoutMs?: number;
}

const opts = JSON.parse(process.argv[2]) as Options;
const hash = createHash('sha256');
let next = 0; // offset of the next byte we expect
let floodBytes = 0;
let first = 0n;
let last = 0n;
let gaps = 0;
let duplicates = 0;
let snapshots = 0;
let started = false;
let acked = 0;
let ackScheduled = false;

const viewer = await connectViewer(opts, opts.connectTimeoutMs);
const fail = (why: string): never => {
  process.stdout.write(JSON.stringify({ error: why }) + '\n');
  process.exit(2);
};
const timer = setTimeout(() => finish('timeout'), opts.timeoutMs);

// Slow-viewer rendering: received-but-unrendered chunks, rendered at renderMbps.
const queue: number[] = []; // end offsets of received chunks
const queueLen: number[] = [];
let budget = 0;
let lastTick = process.hrtime.bigint();
if (opts.renderMbps > 0) {
  setInterval(() => {
    const now = process.hrtime.bigint();
    budget += (Number(now - lastTick) / 1e9) * opts.renderMbps * 1e6;
    lastTick = now;
    let rendered = -1;
    while (queue.length && budget >= queueLen[0]) {
      budget -= queueLen.shift()!;
      rendered = queue.shift()!;
    }
    if (!queue.length) budget = Math.min(budget, 64 * 1024);
    if (rendered > acked) {
      acked = rendered;
      viewer.emit('worker:ack', { name: opts.name, offset: acked });
    }
    if (acked >= READY_LINE.length + opts.expectBytes) finish('complete');
  }, 10);
}

const ackSoon = (): void => {
  if (ackScheduled) return;
  ackScheduled = true;
  setImmediate(() => {
    ackScheduled = false;
    if (next > acked) {
      acked = next;
      viewer.emit('worker:ack', { name: opts.name, offset: acked });
    }
  });
};

viewer.on('worker:output', (name, start, data) => {
  if (name !== opts.name) return;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const now = process.hrtime.bigint();
  let body = buf;
  if (start > next) gaps++;
  if (start < next) {
    duplicates++;
    if (start + buf.length <= next) return;
    body = buf.subarray(next - start);
  }
  const bodyStart = Math.max(start, next);
  next = start + buf.length;
  if (opts.renderMbps > 0) {
    queue.push(next);
    queueLen.push(body.length);
  } else ackSoon();
  // Everything before the ready line's end is the producer's handshake, not flood.
  const floodStartInBody = Math.max(0, READY_LINE.length - bodyStart);
  if (!started && next >= READY_LINE.length) {
    started = true;
    viewer.emit('worker:input', { name: opts.name, data: 'g' });
  }
  if (floodStartInBody < body.length) {
    if (!first) first = now;
    last = now;
    const flood = body.subarray(floodStartInBody);
    floodBytes += flood.length;
    hash.update(flood);
    if (floodBytes >= opts.expectBytes && opts.renderMbps === 0) finish('complete');
  }
});

viewer.on('worker:snapshot', (snap) => {
  if (snap.name !== opts.name) return;
  snapshots++;
  // A viewer that keeps up must get every byte: a snapshot means the stream cannot be verified.
  if (opts.renderMbps === 0 && started) finish('snapshot');
  // A reset: what follows continues from snap.offset; the hash can no longer match (slow viewer only).
  next = snap.offset;
  queue.length = 0;
  queueLen.length = 0;
  queue.push(snap.offset);
  queueLen.push(Buffer.byteLength(snap.data));
  if (!started && snap.offset >= READY_LINE.length) {
    started = true;
    viewer.emit('worker:input', { name: opts.name, data: 'g' });
  }
});

viewer.on('worker:exit', (info) => {
  if (info.name === opts.name && opts.renderMbps > 0) setTimeout(() => finish('exit'), 200);
});

const result = await attach(viewer, opts.name, 0, opts.connectTimeoutMs).catch((e: Error) => fail(e.message));
await drive(viewer, opts.name, opts.connectTimeoutMs);
if (result.mode === 'snapshot' && !started) {
  /* the snapshot handler starts it */
}

function finish(how: string): void {
  clearTimeout(timer);
  const out = {
    how,
    floodBytes,
    sha256: hash.digest('hex'),
    ms: Number(last - first) / 1e6,
    gaps,
    duplicates,
    snapshots,
    offset: next,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  viewer.close();
  process.exit(0);
}
