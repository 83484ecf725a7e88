import { readFileSync } from 'node:fs';

/**
 * `node --import tsx bench/profile-summary.ts FILE.cpuprofile [top]`: self time by function, the
 * quickest way to read a `node --cpu-prof` profile of the server taken during a bench run
 * (BENCH_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- --only stream).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
// --window A:B keeps only samples between A and B seconds after the profile started (e.g. an idle phase).
const windowArg = argv.includes('--window') ? argv.splice(argv.indexOf('--window'), 2)[1] : undefined;
const [file, topArg] = argv;
const [fromS, toS] = (windowArg ?? '0:1e9').split(':').map(Number);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
let clock = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  clock += dt;
  if (clock / 1e6 < fromS || clock / 1e6 > toS) return;
  total += dt;
  const f = byId.get(id)!.callFrame;
  const url = f.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/.*\/main\//, '');
  const key = `${f.functionName || '(anonymous)'}  ${url}${url ? ':' + (f.lineNumber + 1) : ''}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 30));
process.stdout.write(`total ${(total / 1000).toFixed(0)} ms sampled\n`);
for (const [key, us] of rows) process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}\n`);
