import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { io as ioClient } from 'socket.io-client';
import { MeasureError, type BenchContext, type SectionResult } from '../context';
import { median, msSince, percentile, round } from '../stats';

/**
 * Issue 10's acceptance for malformed tokens, measured: 64 × "é" (right length in characters, not in
 * bytes) as `?token=`, the cookie, a latin-1 Authorization header and socket.io's `auth.token`, each
 * answered 401 by the real server, one after the other on a keep-alive connection. **raw**: the same
 * requests to a bare node:http server that answers 401 JSON at once, in the same run. Also the
 * server's file descriptors before and after (a request left unanswered holds one).
 * test/faults/malformed-token.test.ts is the pass/fail check; this is the figure.
 */

const BAD = 'é'.repeat(64);
const PERCENT = encodeURIComponent(BAD);

function get(origin: string, path: string, headers: Record<string, string>, agent: Agent): Promise<number> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const req = request({ host: url.hostname, port: url.port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 401 ? resolve(msSince(t)) : reject(new MeasureError(`auth: ${path.slice(0, 40)} answered ${res.statusCode}, not 401`))));
    });
    req.setTimeout(5000, () => req.destroy(new MeasureError(`auth: ${path.slice(0, 40)} was not answered within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

function handshake(origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const socket = ioClient(origin, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000, auth: { token: BAD } });
    socket.on('connect', () => {
      socket.close();
      reject(new MeasureError('auth: socket.io accepted a malformed token'));
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.close();
      if (err.data?.code === 'UNAUTHORIZED') resolve(msSince(t));
      else reject(new MeasureError(`auth: socket.io refused with ${err.data?.code ?? err.message}, not UNAUTHORIZED`));
    });
  });
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

export async function authSection(ctx: BenchContext, out: SectionResult): Promise<void> {
  const perSurface = ctx.args.quick ? 100 : 500;
  const paths: [string, Record<string, string>][] = [
    [`/api/workers?token=${PERCENT}`, {}],
    ['/api/workers', { Cookie: `agent_relay_token=${PERCENT}` }],
    ['/api/workers', { Authorization: `Bearer ${BAD}` }],
  ];

  // Raw: a bare server answering 401 JSON, same client, same requests.
  const bare = createServer((_req, res) => res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":{"code":"UNAUTHORIZED"}}'));
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const bareOrigin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const rawAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const raw: number[] = [];
  try {
    for (const [path, headers] of paths) for (let i = 0; i < perSurface; i++) raw.push(await get(bareOrigin, path, headers, rawAgent));
  } finally {
    rawAgent.destroy();
    await new Promise<void>((r) => bare.close(() => r()));
  }
  Object.assign(out, { raw_p50_ms: round(median(raw)), raw_p99_ms: round(percentile(raw, 99)) });

  const server = await ctx.server();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  await get(server.origin, '/api/status', {}, agent); // warm the path before counting
  const fdsBefore = fds(server.pid);
  const http: number[] = [];
  const sio: number[] = [];
  try {
    for (const [path, headers] of paths) for (let i = 0; i < perSurface; i++) http.push(await get(server.origin, path, headers, agent));
    for (let i = 0; i < perSurface; i++) sio.push(await handshake(server.origin));
  } finally {
    agent.destroy();
  }
  await new Promise((r) => setTimeout(r, 500)); // closed connections are released asynchronously
  const all = [...http, ...sio];
  Object.assign(out, {
    requests: all.length,
    p50_ms: round(median(http)),
    p99_ms: round(percentile(http, 99)),
    socketio_p50_ms: round(median(sio)),
    socketio_p99_ms: round(percentile(sio, 99)),
    max_ms: round(Math.max(...all)),
    over_100ms: all.filter((ms) => ms > 100).length,
    fd_growth: fds(server.pid) - fdsBefore,
  });
}
