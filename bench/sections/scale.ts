import { join } from 'node:path';
import type { BenchContext, SectionResult } from '../context';
import { releaseAll, spawnWorker } from '../relay';
import { cpuTicks, rssMb, startServer, steadyRss } from '../server';
import { round } from '../stats';
import { WORKER_TIMING } from '../../server/spawn/worker';
import { startEchoWorker, timeKeystrokes } from './echo';

const PACE_SCRIPT = join(import.meta.dirname, '..', 'fixtures', 'pace.mjs');
const CLOCK_TICKS_PER_S = 100;
export const SCALE_MAX_WORKERS = 250;

/**
 * Many idle `cat` workers: server RSS per worker and idle CPU; then printers at 1 MiB/s each while
 * a keystroke echo is timed on another worker. `cat` cannot print on its own, so the printers are
 * extra workers running fixtures/pace.mjs.
 */
export async function scaleSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  await idleFootprint(ctx, out);
  const count = ctx.args.quick ? 50 : 200;
  const idleSeconds = ctx.args.quick ? 3 : 10;
  const printers = ctx.args.quick ? 5 : 20;
  const keystrokes = ctx.args.quick ? 300 : 1000;
  const server = await ctx.server();
  await releaseAll(server);
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMb(server.pid);
  try {
    for (let i = 0; i < count; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, (_, j) => spawnWorker(server, { name: `idle-${i + j}`, cli: 'cat' })),
      );
    }
    // Idle means after every worker went running -> idle (and its record was saved), not during it.
    await new Promise((r) => setTimeout(r, WORKER_TIMING.idleAfterMs + 1500));
    const ticks0 = cpuTicks(server.pid);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu = ((cpuTicks(server.pid) - ticks0) / CLOCK_TICKS_PER_S / ((Date.now() - t0) / 1000)) * 100;
    const after = rssMb(server.pid);
    Object.assign(out, { workers: count, rss_mb_per_worker: round((after - before) / count), idle_cpu_pct: round(idleCpu) });

    for (let i = 0; i < printers; i++) await spawnWorker(server, { name: `printer-${i}`, cli: process.execPath, args: [PACE_SCRIPT, '1048576'] });
    const echo = await startEchoWorker(server, 'scale-echo');
    await new Promise((r) => setTimeout(r, 500));
    const loaded = await timeKeystrokes(echo.viewer, 'scale-echo', keystrokes).finally(() => echo.stop());
    ctx.note(`scale: server RSS ${round(before)} MB before, ${round(after)} MB with ${count} idle workers`);
    out.echo_p99_under_load_ms = round(loaded.p99);
  } finally {
    await releaseAll(server);
  }
}

/** A terminal as a person opens one: an interactive shell at its prompt, nothing running. */
const IDLE_TERMINAL = { cli: 'bash', args: ['--norc', '--noprofile'] };

/**
 * What a fresh server holds: RSS with one idle terminal (a server of its own, started for this, so
 * nothing the other sections did is counted), then the RSS each further idle terminal adds.
 */
async function idleFootprint(ctx: BenchContext, out: SectionResult): Promise<void> {
  // Enough terminals that V8's heap growing or shrinking between the two readings (a few MB) is small beside them.
  const extra = ctx.args.quick ? 20 : 50;
  const server = await startServer(join(ctx.root, 'fresh'), { maxWorkers: SCALE_MAX_WORKERS });
  try {
    await spawnWorker(server, { name: 'idle-first', ...IDLE_TERMINAL });
    const settle = () => new Promise((r) => setTimeout(r, WORKER_TIMING.idleAfterMs + 1500));
    await settle();
    const one = await steadyRss(server.pid);
    for (let i = 0; i < extra; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, extra - i) }, (_, j) => spawnWorker(server, { name: `idle-extra-${i + j}`, ...IDLE_TERMINAL })));
    }
    await settle();
    const many = await steadyRss(server.pid);
    Object.assign(out, { rss_idle_mb: round(one), rss_per_idle_terminal_mb: round((many - one) / extra) });
    ctx.note(`scale: fresh server RSS ${round(one)} MB with 1 idle terminal, ${round(many)} MB with ${extra + 1}`);
  } finally {
    const left = await server.stop();
    if (left.length) ctx.note(`scale: the fresh server left ${left.length} process(es) behind; killed`);
  }
}

