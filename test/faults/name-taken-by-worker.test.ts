import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { ensureProductionBuild, killAll, makeSandbox, startUp, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { http, until } from './support/probes';

/**
 * Defect 5 (issue 10): a socket client could take a live worker's name. `HELLO {agent: "catw"}` while
 * worker `catw` ran was WELCOMEd, the router moved the name to the newcomer, and messages for the
 * worker went to the impostor (its SPAWNs were recorded with `spawnerName: "catw"`).
 *
 * Against the real `agent-relay up`: a HELLO (as agent or as user) for a running worker's name is
 * refused with a fatal NAME_TAKEN_BY_WORKER, the worker keeps receiving its messages, and once the
 * worker has exited the name is free again.
 */

let sandbox: Sandbox;
let server: RelayProcess;
let origin: string;
let token: string;
let socketPath: string;

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  http(`${origin}/api${path}`, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function workerStatus(name: string): Promise<string | undefined> {
  const reply = await api(`/workers/${name}`);
  return reply.status === 200 ? (JSON.parse(reply.body) as { status: string }).status : undefined;
}

async function outputOf(name: string): Promise<string> {
  return (await api(`/workers/${name}/output`)).body;
}

beforeAll(async () => {
  await ensureProductionBuild();
  sandbox = makeSandbox();
  server = startUp(sandbox);
  const url = new URL(await server.url);
  origin = url.origin;
  token = url.searchParams.get('token')!;
  socketPath = join(sandbox.projectRoot, '.agent-relay', 'relay.sock');
}, 600_000);

afterAll(async () => {
  await killAll();
  sandbox?.cleanup();
});

describe('defect 5: a running worker keeps its name', () => {
  it('refuses HELLO as agent or user for a running worker, keeps delivering to the worker, and frees the name once it exited', async () => {
    expect((await api('/workers', { method: 'POST', body: { name: 'catw', cli: 'cat' } })).status).toBe(201);
    await until(async () => ['running', 'idle'].includes((await workerStatus('catw')) ?? ''), 'worker catw running');

    for (const entityType of ['agent', 'user'] as const) {
      const impostor = await RawClient.connect(socketPath);
      impostor.send(env('HELLO', { agent: 'catw', entityType }));
      const error = await impostor.waitFor((f) => f.type === 'ERROR' || f.type === 'WELCOME');
      expect(error.type, `HELLO as ${entityType} "catw" was welcomed`).toBe('ERROR');
      expect(error.payload).toMatchObject({ code: 'NAME_TAKEN_BY_WORKER', fatal: true, message: expect.stringContaining('catw') });
      await impostor.waitClosed();
      expect(impostor.of('WELCOME')).toHaveLength(0);
    }

    // The worker still owns its name: a message for it is typed into its terminal (cat echoes it).
    const sent = await api('/messages', { method: 'POST', body: { to: 'catw', body: 'still-mine-7c1' } });
    expect(sent.status).toBe(201);
    await until(async () => (await outputOf('catw')).includes('still-mine-7c1'), 'the message typed into catw');

    // The wrapper's path (SEND as the worker without HELLO, how terminal-mode MCP speaks for it) still works.
    const asWorker = await RawClient.connect(socketPath);
    asWorker.send(env('SEND', { kind: 'message', body: 'from-catw' }, { from: 'catw', to: 'Dashboard' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(asWorker.of('ERROR')).toEqual([]);
    asWorker.close();

    // Once the worker has exited, the name is an ordinary agent name again.
    expect((await api('/workers/catw', { method: 'DELETE' })).status).toBe(200);
    expect(await workerStatus('catw')).toBe('exited');
    const after = await RawClient.connect(socketPath);
    after.send(env('HELLO', { agent: 'catw' }));
    expect((await after.waitFor((f) => f.type === 'ERROR' || f.type === 'WELCOME')).type).toBe('WELCOME');
    after.close();
  }, 60_000);
});
