// Instructions the server executes per MiB of terminal output, by thread, counted by valgrind's
// callgrind: the real production server (`agent-relay up`) runs under valgrind with counting off; a
// worker prints a flood; counting is on from the viewer's attach to its last byte. Instruction
// counts do not depend on what else the machine runs (CPU time per MiB varied 2-6x with the load
// here), so two builds or two settings compare exactly. Slow: the server starts in 1-3 minutes.
// `node --import tsx bench/output-path-cost.ts [MiB] [label]`; env BENCH_SERVER_NODE_FLAGS as for the bench.
// Not part of `npm run bench` (docs/performance.md, "Counting instructions").
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectedTerminalFlood, floodLines } from './fixtures/flood.mjs';
import { FLOOD_SCRIPT } from './raw';
import { releaseWorker, spawnWorker } from './relay';
import { runStreamClient } from './sections/stream';
import { makeTempRoot, removeTempRoot, startServer } from './server';

const mib = Number(process.argv[2] ?? 8);
const label = process.argv[3] ?? '';
const root = makeTempRoot();
const outDir = join(root, 'callgrind');
execFileSync('mkdir', ['-p', outDir]);
const size = mib * 1024 * 1024;
const expected = expectedTerminalFlood(floodLines(size));
const nodeFlags = process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean);
const server = await startServer(root, {
  maxWorkers: 10,
  nodeFlags,
  wrapper: ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', '--smc-check=all-non-file', `--callgrind-out-file=${outDir}/cg.%p`],
});
const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: ['ignore', 'ignore', 'inherit'] });
async function flood(name: string, counted: boolean): Promise<void> {
  await spawnWorker(server, { name, cli: process.execPath, args: [FLOOD_SCRIPT, String(size), '', '--wait'] });
  await new Promise((r) => setTimeout(r, 3000));
  if (counted) control('--instr=on');
  const got = await runStreamClient({ origin: server.origin, token: server.token, name, expectBytes: expected.bytes, renderMbps: 0, timeoutMs: 1_800_000, connectTimeoutMs: 600_000 });
  if (counted) control('--instr=off');
  if (got.error || got.floodBytes !== expected.bytes || got.sha256 !== expected.sha256) throw new Error(`stream not verified: ${JSON.stringify(got)}`);
  await releaseWorker(server, name, true).catch(() => undefined);
}
try {
  // An uncounted flood first: V8 compiles the hot paths (on its helper threads) during the first MiBs.
  await flood('cg-warm', false);
  await flood('cg-flood', true);
  control('--dump');
} finally {
  await server.stop();
}
// One file per thread and dump (cg.<pid>[.<dump>]-<thread>); "totals:" holds its instruction count.
const perThread: { file: string; ir: number }[] = [];
for (const file of readdirSync(outDir)) {
  const text = readFileSync(join(outDir, file), 'utf8');
  const m = /^totals:\s+(\d+)/m.exec(text);
  if (m) perThread.push({ file, ir: Number(m[1]) });
}
const byThread = new Map<string, number>();
for (const { file, ir } of perThread) {
  const thread = file.split('-').pop() ?? file;
  byThread.set(thread, (byThread.get(thread) ?? 0) + ir);
}
const total = [...byThread.values()].reduce((a, b) => a + b, 0);
const fmt = (ir: number) => `${(ir / mib / 1e6).toFixed(1)} M instr/MiB`;
console.log(`${label} ${mib} MiB: total ${fmt(total)}; ` + [...byThread.entries()].filter(([, ir]) => ir / total > 0.005).sort((a, b) => b[1] - a[1]).map(([t, ir]) => `thread ${t} ${fmt(ir)}`).join(', '));
if (!process.env.KEEP) removeTempRoot(root); else console.log(outDir);
