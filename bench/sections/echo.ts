import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { rawEcho, type Latencies, latencies } from '../raw';
import { attach, connectViewer, drive, releaseWorker, spawnWorker, type Viewer } from '../relay';
import type { RunningServer } from '../server';
import { msSince, percentile, round } from '../stats';

let seq = 0;

/** A `stty raw -echo; cat` worker with an attached, driving viewer, ready to time keystrokes. */
export async function startEchoWorker(server: RunningServer, name: string): Promise<{ viewer: Viewer; stop(): Promise<void> }> {
  await spawnWorker(server, { name, cli: 'bash', args: ['-c', 'stty raw -echo; exec cat'] });
  const viewer = await connectViewer(server);
  await attach(viewer, name, 0);
  await drive(viewer, name);
  return {
    viewer,
    stop: async () => {
      viewer.close();
      await releaseWorker(server, name, true).catch(() => undefined);
    },
  };
}

/** Time `count` single keystrokes over socket.io until each one's echo comes back. */
export async function timeKeystrokes(viewer: Viewer, name: string, count: number): Promise<Latencies> {
  let waiter: ((data: Uint8Array) => void) | undefined;
  const onOutput = (worker: string, _start: number, data: Uint8Array): void => {
    if (worker === name) waiter?.(data);
  };
  viewer.on('worker:output', onOutput);
  try {
    // `stty raw` runs after the PTY starts: probe until an echo comes back.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ok = await keystroke(viewer, name, '!', 200, (fn) => (waiter = fn));
      if (ok !== undefined) break;
      if (Date.now() > deadline) throw new MeasureError(`echo: worker ${name} never echoed a keystroke`);
    }
    await new Promise((r) => setTimeout(r, 100));
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const ms = await keystroke(viewer, name, String.fromCharCode(97 + (i % 26)), 5_000, (fn) => (waiter = fn));
      if (ms === undefined) throw new MeasureError(`echo: keystroke ${i} on ${name} got no echo within 5 s`);
      samples.push(ms);
    }
    return latencies(samples);
  } finally {
    viewer.off('worker:output', onOutput);
  }
}

const KEY_CODES = new Map<string, number>();
function keystroke(viewer: Viewer, name: string, key: string, timeoutMs: number, setWaiter: (fn: (d: Uint8Array) => void) => void): Promise<number | undefined> {
  let code = KEY_CODES.get(key);
  if (code === undefined) KEY_CODES.set(key, (code = key.charCodeAt(0)));
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const t = setTimeout(() => resolve(undefined), timeoutMs);
    setWaiter((data) => {
      if (data.includes(code)) {
        clearTimeout(t);
        resolve(msSince(start));
      }
    });
    viewer.emit('worker:input', { name, data: key });
  });
}

/** Raw and e2e keystrokes alternate in blocks, so both see the same background load. */
export async function echoSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const count = 2000;
  const blocks = 4;
  const server = await ctx.server();
  const name = `echo-${++seq}`;
  const worker = await startEchoWorker(server, name);
  const raw: number[] = [];
  const e2e: number[] = [];
  try {
    for (let b = 0; b < blocks; b++) {
      raw.push(...(await rawEcho(count / blocks)).samples);
      Object.assign(out, { raw_p50_ms: round(percentile(raw, 50)), raw_p99_ms: round(percentile(raw, 99)) });
      e2e.push(...(await timeKeystrokes(worker.viewer, name, count / blocks)).samples);
      Object.assign(out, { p50_ms: round(percentile(e2e, 50)), p99_ms: round(percentile(e2e, 99)) });
    }
  } finally {
    await worker.stop();
  }
}
