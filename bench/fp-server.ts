// Diagnostic: a production server with ENDED released workers, MESSAGES messages and one live flood
// worker, kept until killed. `ENDED=220 node --import tsx bench/fp-server.ts out.json`
import { writeFileSync } from 'node:fs';
import { releaseAll, spawnWorker } from './relay';
import { FLOOD_SCRIPT } from './raw';
import { makeTempRoot, removeTempRoot, startServer } from './server';

const root = makeTempRoot();
const server = await startServer(root, { maxWorkers: 250 });
const ended = Number(process.env.ENDED ?? 0);
for (let i = 0; i < ended; i += 16) {
  await Promise.all(Array.from({ length: Math.min(16, ended - i) }, (_, j) => spawnWorker(server, { name: `ended-${i + j}`, cli: 'bash', args: ['-c', 'sleep 30'] })));
}
await releaseAll(server);
// MESSAGES: that many posted to everyone, as the route section leaves the timeline.
for (let i = 0; i < Number(process.env.MESSAGES ?? 0); i++) {
  await fetch(`${server.origin}/api/messages`, { method: 'POST', headers: server.headers, body: JSON.stringify({ to: '*', body: `ping ${i} from the bench` }) });
}
await spawnWorker(server, { name: 'browser-flood', cli: process.execPath, args: [FLOOD_SCRIPT, String(1 << 20), '', '--wait'] });
const first = await fetch(`${server.origin}/?token=${server.token}`, { redirect: 'manual' });
const cookie = first.headers.get('set-cookie')?.split(';')[0] ?? '';
writeFileSync(process.argv[2] ?? '/tmp/h1/server.json', JSON.stringify({ origin: server.origin, token: server.token, cookie, pid: server.pid }));
console.log('ready', server.origin);
const stop = async () => { await server.stop(); removeTempRoot(root); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setInterval(() => undefined, 1 << 30);
