// What a fresh server holds and what each idle terminal adds, the way `scale` measures it (a fresh
// production server, one idle `bash --norc --noprofile`, then N more), printed with the RSS split
// into anonymous and file-backed pages (/proc/<pid>/smaps_rollup) and the thread count, so a flag or
// a change can be tried in 25 s instead of a whole scale section. Not part of `npm run bench`.
// `node --import tsx bench/idle-footprint.ts [N=50]`; env BENCH_SERVER_NODE_FLAGS as for the bench
// (e.g. "--max-semi-space-size=4"), BENCH_SERVER_ENV="K=V K2=V2" for the server's environment.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnWorker } from './relay';
import { makeTempRoot, removeTempRoot, rssMb, startServer, steadyRss } from './server';
import { round } from './stats';
import { WORKER_TIMING } from '../server/spawn/worker';

const extra = Number(process.argv[2] ?? 50);
const nodeFlags = process.env.BENCH_SERVER_NODE_FLAGS?.split(' ').filter(Boolean);
const env = Object.fromEntries((process.env.BENCH_SERVER_ENV ?? '').split(' ').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
const IDLE_TERMINAL = { cli: 'bash', args: ['--norc', '--noprofile'] };

function breakdown(pid: number): string {
  const kb: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').split('\n')) {
    const m = /^(\w+):\s+(\d+) kB/.exec(line);
    if (m) kb[m[1]] = Number(m[2]);
  }
  const mb = (k: number) => round(k / 1024);
  return `anonymous ${mb(kb.Anonymous)} MB, files ${mb(kb.Rss - kb.Anonymous)} MB, ${readdirSync(`/proc/${pid}/task`).length} threads`;
}

const settle = () => new Promise((r) => setTimeout(r, WORKER_TIMING.idleAfterMs + 1500));
const root = makeTempRoot();
const server = await startServer(root, { maxWorkers: extra + 10, nodeFlags, env });
try {
  console.log(`fresh, no terminal: ${round(await steadyRss(server.pid))} MB (${breakdown(server.pid)})`);
  await spawnWorker(server, { name: 'idle-first', ...IDLE_TERMINAL });
  await settle();
  const one = await steadyRss(server.pid);
  console.log(`1 idle terminal:    ${round(one)} MB (${breakdown(server.pid)})`);
  for (let i = 0; i < extra; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, extra - i) }, (_, j) => spawnWorker(server, { name: `idle-extra-${i + j}`, ...IDLE_TERMINAL })));
  }
  await settle();
  const many = await steadyRss(server.pid);
  console.log(`${extra + 1} idle terminals:  ${round(many)} MB (${breakdown(server.pid)}); ${round((many - one) / extra)} MB each`);
} finally {
  await server.stop();
  removeTempRoot(root);
}
