import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedTerminalFlood, floodLines } from '../fixtures/flood.mjs';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { FLOOD_SCRIPT, rawStream } from '../raw';
import { releaseWorker, spawnWorker } from '../relay';
import { cpuTicks, REPO, rssMb } from '../server';
import { median, round } from '../stats';

const MiB = 1024 * 1024;

interface ClientResult {
  error?: string;
  how: string;
  floodBytes: number;
  sha256: string;
  ms: number;
  gaps: number;
  duplicates: number;
  snapshots: number;
}

/** Run bench/clients/stream-client.ts as its own process; resolves with its JSON line. */
export function runStreamClient(opts: object, onSpawn?: () => void): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bench/clients/stream-client.ts'), JSON.stringify(opts)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.();
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', () => {
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line ?? ''));
      } catch {
        reject(new MeasureError(`stream client gave no result: ${err.trim().slice(-500) || out.slice(-500)}`));
      }
    });
  });
}

let seq = 0;

/**
 * Raw and e2e runs alternate (raw, e2e, raw, e2e, …) and each figure is the median of its runs: on a
 * machine shared with other work, load changes from second to second, and pairing keeps the ratio honest.
 */
export async function streamSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const size = (ctx.args.quick ? 16 : 64) * MiB;
  const rounds = 3;
  const expected = expectedTerminalFlood(floodLines(size));
  const raws: number[] = [];
  const e2es: number[] = [];
  const agents: number[] = [];
  const cpuPerMib: number[] = [];
  out.verified = false;
  for (let i = 0; i < rounds; i++) {
    const raw = await rawStream(size);
    if (raw.bytes !== expected.bytes || raw.sha256 !== expected.sha256) {
      ctx.note(`stream: raw node-pty read ${raw.bytes} of ${expected.bytes} bytes (hash ${raw.sha256 === expected.sha256 ? 'ok' : 'differs'}): node-pty tail loss`);
    }
    raws.push(raw.bytes / raw.ms / 1000);
    out.raw_mbps = round(median(raws));

    const server = await ctx.server();
    const name = `stream-${++seq}`;
    const statsFile = join(ctx.root, `${name}.json`);
    const ticks = cpuTicks(server.pid);
    await spawnWorker(server, { name, cli: process.execPath, args: [FLOOD_SCRIPT, String(size), statsFile, '--wait'] });
    const got = await runStreamClient({ origin: server.origin, token: server.token, name, expectBytes: expected.bytes, renderMbps: 0, timeoutMs: 120_000 });
    // CPU the server spent per MiB streamed: steadier than MB/s on a shared machine, so it shows
    // what an optimisation bought even when the throughput is set by other load.
    cpuPerMib.push(((cpuTicks(server.pid) - ticks) * 10) / (expected.bytes / MiB));
    await releaseWorker(server, name, true).catch(() => undefined);
    if (got.error) throw new MeasureError(`stream: ${got.error}`);
    const verified = got.floodBytes === expected.bytes && got.sha256 === expected.sha256 && got.gaps === 0 && got.snapshots === 0;
    if (!verified) {
      throw new MeasureError(
        `stream: viewer got ${got.floodBytes} of ${expected.bytes} bytes, hash ${got.sha256 === expected.sha256 ? 'ok' : 'differs'}, ` +
          `${got.gaps} gaps, ${got.duplicates} duplicates, ${got.snapshots} snapshots (${got.how})`,
      );
    }
    e2es.push(got.floodBytes / got.ms / 1000);
    if (existsSync(statsFile)) {
      const agent = JSON.parse(readFileSync(statsFile, 'utf8')) as { bytes: number; ms: number };
      agents.push(agent.bytes / agent.ms / 1000);
    }
    Object.assign(out, {
      e2e_mbps: round(median(e2es)), ratio: round(median(e2es) / median(raws)), bytes: got.floodBytes, verified: true,
      server_cpu_ms_per_mib: round(median(cpuPerMib)),
    });
  }
  ctx.note(`stream: raw ${raws.map(round).join(', ')} MB/s; e2e ${e2es.map(round).join(', ')} MB/s; producer ${agents.map(round).join(', ')} MB/s`);
}

export async function slowViewerSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const size = (ctx.args.quick ? 16 : 64) * MiB;
  const expected = expectedTerminalFlood(floodLines(size));
  const server = await ctx.server();
  const name = `slow-${++seq}`;
  const statsFile = join(ctx.root, `${name}.json`);
  // A worker has run before the resting size is taken, so one-time start-up costs (the screen
  // thread, xterm's modules) are not counted as the flood's growth when this section runs alone.
  await spawnWorker(server, { name: `${name}-warm`, cli: 'bash', args: ['-c', 'echo warm'] });
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssMb(server.pid);
  let peak = before;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(server.pid));
    } catch {
      /* server gone: the client will report */
    }
  }, 25);
  try {
    await spawnWorker(server, { name, cli: process.execPath, args: [FLOOD_SCRIPT, String(size), statsFile, '--wait'] });
    const got = await runStreamClient({
      origin: server.origin, token: server.token, name, expectBytes: expected.bytes, renderMbps: 5,
      timeoutMs: ctx.args.quick ? 20_000 : 60_000,
    });
    if (got.error) throw new MeasureError(`slow_viewer: ${got.error}`);
    if (!existsSync(statsFile)) throw new MeasureError(`slow_viewer: the flood did not finish (viewer ${got.how} after ${got.floodBytes} bytes)`);
    const agent = JSON.parse(readFileSync(statsFile, 'utf8')) as { bytes: number; ms: number };
    ctx.note(`slow_viewer: viewer saw ${got.snapshots} snapshot(s), ${got.gaps} gap(s); RSS ${round(before)} -> peak ${round(peak)} MB`);
    Object.assign(out, { rss_growth_mb: round(peak - before), agent_mbps: round(agent.bytes / agent.ms / 1000) });
  } finally {
    clearInterval(sampler);
    await releaseWorker(server, name, true).catch(() => undefined);
  }
}
