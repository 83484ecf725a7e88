import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RelayClient } from '../lib/sdk';
import { startNats } from '../test/cluster/nats';
import { pingPong } from './flood';

/**
 * Diagnostic (not part of `npm run bench`): CPU per ping-pong of every process in the cluster
 * section's setup (the bench clients, node A, node B, nats-server), from /proc, or of one plain
 * relay with `single`. `node --import tsx bench/cluster-cpu.ts [cluster|single]`; PROF=1 writes a
 * --cpu-prof of node A to /tmp/ppprof. CPU time holds up on a shared machine better than wall time.
 */

const ROOT = resolve(import.meta.dirname, '..');
const root = mkdtempSync(join(tmpdir(), 'ppcpu-'));
function cpu(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // ms (CLK_TCK 100)
}
function startNode(options: Record<string, unknown>): Promise<{ socketPath: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [...(process.env.PROF && (options.node === 'A' || options.node === 'S') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/ppprof'] : []), '--import', 'tsx', join(ROOT, 'test/cluster/node-main.ts'), JSON.stringify({ ...options, project: join(root, `node-${String(options.node)}`) })], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AGENT_RELAY_HOME: join(root, 'home') } });
  return new Promise((res) => { let out = ''; child.stdout!.on('data', (d) => { out += d; const m = /"socketPath":"([^"]+)"/.exec(out); if (m) res({ socketPath: m[1], child }); }); });
}
const mode = process.argv[2] ?? 'cluster';
const nats = mode === 'cluster' ? await startNats() : undefined;
const nodes = mode === 'cluster'
  ? [await startNode({ node: 'A', servers: [nats!.url], clusterName: 'bench' }), await startNode({ node: 'B', servers: [nats!.url], clusterName: 'bench' })]
  : [await startNode({ node: 'S', servers: [], noCluster: true })];
const a = new RelayClient({ name: 'bench-a', socketPath: nodes[0].socketPath, reconnect: false });
const b = new RelayClient({ name: 'bench-b', socketPath: nodes[nodes.length - 1].socketPath, reconnect: false });
await a.connect(); await b.connect();
let warm = false;
b.onMessage((m) => { if (m.body === 'warm') warm = true; else if (m.body.startsWith('p')) b.send('bench-a', m.body); });
while (!warm) { try { a.send('bench-b', 'warm'); } catch {} await new Promise((r) => setTimeout(r, 200)); }
await pingPong(a, 200, 'x');
const pids: Record<string, number> = { self: process.pid };
nodes.forEach((n, i) => (pids[`node${i}`] = n.child.pid!));
if (nats?.proc.pid) pids.nats = nats.proc.pid;
const before = Object.fromEntries(Object.entries(pids).filter(([, p]) => p).map(([k, p]) => [k, cpu(p)]));
const N = 2000;
const t0 = performance.now();
const rtts = await pingPong(a, N, 'x');
const wall = performance.now() - t0;
const after = Object.fromEntries(Object.entries(before).map(([k]) => [k, cpu(pids[k])]));
rtts.sort((x, y) => x - y);
console.log(mode, 'rtt p50', rtts[N / 2].toFixed(3), 'wall/ping', (wall / N).toFixed(3), 'CPU µs per ping:', Object.entries(after).map(([k, v]) => `${k} ${((v - before[k]) * 1000 / N).toFixed(0)}`).join(' '));
await a.disconnect().catch(() => {}); await b.disconnect().catch(() => {});
for (const n of nodes) { const e = new Promise((r) => n.child.once('exit', r)); n.child.kill('SIGTERM'); await Promise.race([e, new Promise((r) => setTimeout(r, 10000))]); }
await nats?.stop(); nats?.cleanup();
process.exit(0);
