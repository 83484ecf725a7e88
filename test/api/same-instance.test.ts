import { join } from 'node:path';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../lib/protocol';
import type { AttachResult, SnapshotEvent } from '../../lib/realtime/events';
import { RelayClient } from '../../lib/sdk';
import { ensureProductionBuild, killAll, makeSandbox, startUp, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { until } from '../realtime/harness';

/**
 * The whole `agent-relay up` process (production build): the HTTP routes, socket.io and the Unix
 * socket daemon must all be views of one SpawnManager, whichever surface spawned a worker.
 */

let sandbox: Sandbox;
let relay: RelayProcess;
let origin: string;
let token: string;
let client: RelayClient;

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  relay = startUp(sandbox);
  const url = new URL(await relay.url);
  origin = url.origin;
  token = url.searchParams.get('token')!;
  client = new RelayClient({ name: 'same-instance-test', socketPath: join(sandbox.projectRoot, '.agent-relay', 'relay.sock'), reconnect: false });
  await client.connect();
}, 300_000);

afterAll(async () => {
  await client?.disconnect();
  if (relay) {
    relay.kill('SIGTERM');
    await Promise.race([relay.exited, new Promise((r) => setTimeout(r, 15_000))]);
  }
  await killAll();
  sandbox?.cleanup();
}, 60_000);

function api(path: string, init: { method?: string; body?: unknown; auth?: boolean } = {}): Promise<Response> {
  const headers: Record<string, string> = { origin };
  if (init.auth !== false) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${origin}/api${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

async function workerNames(): Promise<string[]> {
  const res = await api('/workers');
  expect(res.status).toBe(200);
  return ((await res.json()) as { workers: WorkerInfo[] }).workers.map((w) => w.name);
}

describe('one SpawnManager behind every surface', () => {
  it('a worker spawned over the Unix socket is in GET /api/workers, and one spawned over HTTP is in LIST_WORKERS', async () => {
    const viaSocket = await client.spawn({ name: 'via-socket', cli: 'cat' });
    expect(viaSocket).toMatchObject({ name: 'via-socket' });
    expect(await workerNames()).toContain('via-socket');

    const created = await api('/workers', { method: 'POST', body: { name: 'via-http', cli: 'cat' } });
    expect(created.status).toBe(201);
    expect((await client.listWorkers()).map((w) => w.name)).toEqual(expect.arrayContaining(['via-socket', 'via-http']));

    // Input over HTTP reaches the worker the socket spawned; its output is readable over HTTP.
    expect((await api('/workers/via-socket/input', { method: 'POST', body: { data: 'ping-over-http\r' } })).status).toBe(200);
    await until(async () => {
      const res = await api('/workers/via-socket/output?since=0');
      return Buffer.from(await res.arrayBuffer()).toString().includes('ping-over-http\r\nping-over-http');
    }, 'the worker echo over HTTP');

    // socket.io sees the same worker and its output.
    const socket = connect(origin, { path: '/socket.io', transports: ['websocket'], forceNew: true, reconnection: false, auth: { token }, extraHeaders: { origin } });
    try {
      const snapshot = new Promise<SnapshotEvent>((resolve) => socket.once('worker:snapshot', resolve));
      const reply = await new Promise<AttachResult>((resolve) => socket.emit('worker:attach', { name: 'via-socket' }, resolve));
      expect(reply).toMatchObject({ ok: true, mode: 'snapshot' });
      expect((await snapshot).data).toContain('ping-over-http');
    } finally {
      socket.disconnect();
    }

    // Released over HTTP, seen as exited over the socket.
    expect((await api('/workers/via-socket?force=1', { method: 'DELETE' })).status).toBe(200);
    await until(async () => (await client.listWorkers()).find((w) => w.name === 'via-socket')?.status === 'exited', 'the release to show on the socket');
    await client.release('via-http', { force: true });
  });

  it('refuses API calls without the token and answers errors as JSON through the real server', async () => {
    expect((await api('/workers', { auth: false })).status).toBe(401);
    const missing = await api('/workers/nobody');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const bad = await api('/workers', { method: 'POST', body: { name: '!!', cli: 'cat' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_NAME', field: 'name' } });
    const status = await api('/status');
    expect(await status.json()).toMatchObject({ socketPath: join(sandbox.projectRoot, '.agent-relay', 'relay.sock') });
    const doc = (await (await api('/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/workers/{name}/output');
  });
});
