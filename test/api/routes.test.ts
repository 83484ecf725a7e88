import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishRuntime } from '../../server/runtime';
import * as agentsRoute from '../../app/api/agents/route';
import * as messagesRoute from '../../app/api/messages/route';
import * as openapiRoute from '../../app/api/openapi.json/route';
import * as statusRoute from '../../app/api/status/route';
import * as workerRoute from '../../app/api/workers/[name]/route';
import * as injectRoute from '../../app/api/workers/[name]/inject/route';
import * as inputRoute from '../../app/api/workers/[name]/input/route';
import * as outputRoute from '../../app/api/workers/[name]/output/route';
import * as resizeRoute from '../../app/api/workers/[name]/resize/route';
import * as workersRoute from '../../app/api/workers/route';
import { startStack, until, type Stack } from '../realtime/harness';

/**
 * The route handlers called as Next calls them (a Request and a params Promise), against a real
 * SpawnManager and router published through server/runtime. The token/Host/Origin layer in front of
 * them is tested in test/server; test/api/same-instance.test.ts goes through the whole server.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  publishRuntime({
    router: stack.router,
    spawnManager: stack.spawnManager,
    config: { version: '0.0.0-test', projectRoot: stack.dir, socketPath: '', dataDir: '', dashboardUrl: '', startedAt: Date.now(), storageDriver: 'memory' },
    status: () => ({ version: '0.0.0-test', uptime: 1, agentCount: 0, workerCount: stack.spawnManager.listWorkers().length, socketPath: '', storage: { persistent: false, driver: 'memory', canRead: true, canWrite: true } }),
  });
});
afterAll(async () => {
  publishRuntime(undefined);
  await stack.close();
});

const url = (path: string) => `http://127.0.0.1/api${path}`;
const json = (path: string, body: unknown, method = 'POST') =>
  new Request(url(path), { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const params = (name: string) => ({ params: Promise.resolve({ name }) });
async function errorOf(res: Response): Promise<{ status: number; code: string; field?: string }> {
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return { status: res.status, code: body.error.code, ...(body.error.field ? { field: body.error.field } : {}) };
}

describe('worker routes', () => {
  it('spawns (201 WorkerInfo), lists, reads one, types, resizes, reads raw output and releases', async () => {
    const created = await workersRoute.POST(json('/workers', { name: 'w1', cli: 'cat' }));
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: 'w1', cli: 'cat', spawnerName: 'Dashboard' });
    await until(() => stack.spawnManager.getWorker('w1')?.status !== 'starting', 'w1 to start');

    const list = (await (await workersRoute.GET()).json()) as { workers: { name: string }[] };
    expect(list.workers.map((w) => w.name)).toContain('w1');
    expect(await (await workerRoute.GET(new Request(url('/workers/w1')), params('w1'))).json()).toMatchObject({ name: 'w1' });

    expect((await inputRoute.POST(json('/workers/w1/input', { data: 'typed-over-http\r' }), params('w1'))).status).toBe(200);
    expect((await resizeRoute.POST(json('/workers/w1/resize', { cols: 100, rows: 30 }), params('w1'))).status).toBe(200);
    const held = await injectRoute.POST(json('/workers/w1/inject', { mode: 'hold' }), params('w1'));
    expect(held.status).toBe(200);
    expect(await held.json()).toEqual({ name: 'w1', injection: { mode: 'hold', pending: 0, held: 0 }, flushed: 0 });
    expect(stack.spawnManager.getWorker('w1')?.injection?.mode).toBe('hold');
    expect(await (await injectRoute.POST(json('/workers/w1/inject', { mode: 'flush' }), params('w1'))).json()).toMatchObject({ injection: { mode: 'hold' }, flushed: 0 });
    expect(await (await injectRoute.POST(json('/workers/w1/inject', { mode: 'auto' }), params('w1'))).json()).toMatchObject({ injection: { mode: 'auto' } });
    expect(stack.spawnManager.getWorker('w1')).toMatchObject({ cols: 100, rows: 30 });

    await until(async () => {
      const res = await outputRoute.GET(new Request(url('/workers/w1/output?since=0')), params('w1'));
      return Buffer.from(await res.arrayBuffer()).toString().includes('typed-over-http\r\ntyped-over-http');
    }, 'the echo in the output');
    const res = await outputRoute.GET(new Request(url('/workers/w1/output?since=3')), params('w1'));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-output-offset')).toBe('3');
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('x-output-end'))).toBe(3 + body.length);
    const all = await stack.spawnManager.readOutput('w1', 0, 1 << 20);
    expect(body.equals(all.data.subarray(3))).toBe(true);

    const released = await workerRoute.DELETE(new Request(url('/workers/w1?force=1'), { method: 'DELETE' }), params('w1'));
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ name: 'w1', endedBy: 'force' });
    // Input to an exited worker: 409 NOT_RUNNING.
    expect(await errorOf(await inputRoute.POST(json('/workers/w1/input', { data: 'late' }), params('w1')))).toMatchObject({ status: 409, code: 'NOT_RUNNING' });
    expect(await errorOf(await injectRoute.POST(json('/workers/w1/inject', { mode: 'hold' }), params('w1')))).toMatchObject({ status: 409, code: 'NOT_RUNNING' });
  });

  it('answers bad requests with the documented statuses and codes', async () => {
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: '9 bad name', cli: 'cat' })))).toEqual({ status: 400, code: 'INVALID_NAME', field: 'name' });
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'huge', cli: 'cat', task: 'x'.repeat(1024 * 1024) })))).toMatchObject({ status: 413, code: 'TOO_LARGE' });
    expect(await errorOf(await workersRoute.POST(json('/workers', '{not json')))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'x' })))).toMatchObject({ status: 400, code: 'BAD_REQUEST', field: 'cli' });
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'nocli', cli: 'no-such-program-xyz' })))).toMatchObject({ status: 422, code: 'CLI_NOT_FOUND' });
    const file = join(stack.dir, 'a-file');
    writeFileSync(file, 'x');
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'badcwd', cli: 'cat', cwd: join(stack.dir, 'missing') })))).toMatchObject({ status: 422, code: 'BAD_CWD' });
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'filecwd', cli: 'cat', cwd: file })))).toMatchObject({ status: 422, code: 'BAD_CWD' });

    mkdirSync(join(stack.dir, 'sub'), { recursive: true });
    expect((await workersRoute.POST(json('/workers', { name: 'taken', cli: 'cat', cwd: 'sub' }))).status).toBe(201);
    expect(await errorOf(await workersRoute.POST(json('/workers', { name: 'taken', cli: 'cat' })))).toMatchObject({ status: 409, code: 'NAME_TAKEN' });
    await until(() => stack.spawnManager.getWorker('taken')?.status !== 'starting', 'taken to start');
    expect(await errorOf(await inputRoute.POST(json('/workers/taken/input', { data: 'x'.repeat(64 * 1024 + 1) }), params('taken')))).toMatchObject({ status: 413, code: 'INPUT_TOO_LARGE' });
    expect(await errorOf(await inputRoute.POST(json('/workers/taken/input', { text: 'wrong field' }), params('taken')))).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect(await errorOf(await resizeRoute.POST(json('/workers/taken/resize', { cols: 0, rows: 10 }), params('taken')))).toMatchObject({ status: 400, code: 'BAD_REQUEST', field: 'cols' });
    expect(await errorOf(await injectRoute.POST(json('/workers/taken/inject', { mode: 'later' }), params('taken')))).toMatchObject({ status: 400, code: 'BAD_REQUEST', field: 'mode' });
    expect(await errorOf(await injectRoute.POST(json('/workers/ghost/inject', { mode: 'hold' }), params('ghost')))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await outputRoute.GET(new Request(url('/workers/taken/output?since=-1')), params('taken')))).toMatchObject({ status: 400, field: 'since' });

    expect(await errorOf(await workerRoute.GET(new Request(url('/workers/ghost')), params('ghost')))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await workerRoute.DELETE(new Request(url('/workers/ghost'), { method: 'DELETE' }), params('ghost')))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await inputRoute.POST(json('/workers/ghost/input', { data: 'x' }), params('ghost')))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await outputRoute.GET(new Request(url('/workers/ghost/output')), params('ghost')))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await workerRoute.GET(new Request(url('/workers/bad%20name')), params('bad name')))).toMatchObject({ status: 400, code: 'INVALID_NAME' });
    await workerRoute.DELETE(new Request(url('/workers/taken?force=1'), { method: 'DELETE' }), params('taken'));
  });
});

describe('agents, messages, status, openapi', () => {
  it('lists agents with worker status, sends as Dashboard, and pages history', async () => {
    expect((await workersRoute.POST(json('/workers', { name: 'talker', cli: 'cat' }))).status).toBe(201);
    await until(() => stack.spawnManager.getWorker('talker')?.status !== 'starting', 'talker to start');
    const agents = (await (await agentsRoute.GET()).json()) as { agents: { name: string; worker?: { status: string } }[] };
    expect(agents.agents.find((a) => a.name === 'talker')?.worker?.status).toMatch(/running|idle/);

    const sent = await messagesRoute.POST(json('/messages', { to: 'talker', body: 'hello from the dashboard', thread: 't1' }));
    expect(sent.status).toBe(201);
    expect(await sent.json()).toMatchObject({ recipients: ['talker'] });
    expect(await errorOf(await messagesRoute.POST(json('/messages', { to: 'nobody-here', body: 'hi' })))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf(await messagesRoute.POST(json('/messages', { to: 'talker' })))).toMatchObject({ status: 400, field: 'body' });

    const history = (await (await messagesRoute.GET(new Request(url('/messages?agent=talker&limit=10')))).json()) as { messages: { from: string; body: string; timestamp: number }[] };
    expect(history.messages[0]).toMatchObject({ from: 'Dashboard', body: 'hello from the dashboard' });
    const older = (await (await messagesRoute.GET(new Request(url(`/messages?agent=talker&before=${history.messages[0].timestamp}`)))).json()) as { messages: unknown[] };
    expect(older.messages).toEqual([]);
    expect(await errorOf(await messagesRoute.GET(new Request(url('/messages?limit=abc'))))).toMatchObject({ status: 400, field: 'limit' });
    await workerRoute.DELETE(new Request(url('/workers/talker?force=1'), { method: 'DELETE' }), params('talker'));
    const removed = await workerRoute.DELETE(new Request(url('/workers/talker?remove=1'), { method: 'DELETE' }), params('talker'));
    expect(await removed.json()).toMatchObject({ endedBy: 'already-exited' });
    expect(await errorOf(await workerRoute.GET(new Request(url('/workers/talker')), params('talker')))).toMatchObject({ status: 404 });
  });

  it('serves STATUS and an OpenAPI 3.1 document with every route', async () => {
    expect(await (await statusRoute.GET()).json()).toMatchObject({ version: '0.0.0-test' });
    const doc = (await (await openapiRoute.GET()).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/api/status', '/api/workers', '/api/workers/{name}', '/api/workers/{name}/input', '/api/workers/{name}/resize',
      '/api/workers/{name}/inject', '/api/workers/{name}/output', '/api/agents', '/api/messages', '/api/openapi.json',
    ]));
    expect(doc.components.schemas.SpawnRequest).toMatchObject({ type: 'object', required: expect.arrayContaining(['name', 'cli']) });
    const refs = JSON.stringify(doc).match(/#\/components\/schemas\/(\w+)/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.split('/').pop()!);
  });

  it('answers 503 outside a running relay instead of throwing', async () => {
    publishRuntime(undefined);
    try {
      expect(await errorOf(await workersRoute.GET())).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    } finally {
      publishRuntime({ router: stack.router, spawnManager: stack.spawnManager, config: { version: '0.0.0-test', projectRoot: stack.dir, socketPath: '', dataDir: '', dashboardUrl: '', startedAt: Date.now(), storageDriver: 'memory' }, status: () => ({ version: '0.0.0-test', uptime: 1, agentCount: 0, workerCount: 0, socketPath: '', storage: { persistent: false, driver: 'memory', canRead: true, canWrite: true } }) });
    }
  });
});
