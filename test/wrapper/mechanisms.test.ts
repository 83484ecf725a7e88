import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RelayClient } from '../../lib/sdk';
import { FallbackChain, NoMechanismError } from '../../server/wrapper/fallback';
import { DashboardApiError, daemonMechanism, dashboardMechanism } from '../../server/wrapper/mechanisms';

/** The real mechanisms: a real SDK client on a missing socket, real fetch against a local HTTP server or a closed port. */

let dir: string;
let projectRoot: string;
let home: string;
let server: Server | undefined;
const seen: Array<{ method?: string; url?: string; auth?: string; origin?: string; body: string }> = [];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-mech-')));
  projectRoot = join(dir, 'project');
  home = join(dir, 'home');
  mkdirSync(join(projectRoot, '.agent-relay'), { recursive: true });
  mkdirSync(home);
  seen.length = 0;
});
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, AGENT_RELAY_HOME: home }) as NodeJS.ProcessEnv;

function writeMarkerFor(port: number): void {
  // A marker whose daemon pid is alive (ours) and whose dashboard is our stand-in.
  writeFileSync(
    join(home, 'active-daemon.json'),
    JSON.stringify({ socketPath: join(projectRoot, '.agent-relay', 'relay.sock'), projectRoot, pid: process.pid, startedAt: new Date().toISOString(), version: 't', dashboardUrl: `http://127.0.0.1:${port}` }),
  );
}

async function startDashboard(answer: (req: IncomingMessage, body: string) => [number, unknown]): Promise<number> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, origin: req.headers.origin, body });
      const [status, json] = answer(req, body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('real mechanisms', () => {
  it('dashboard: spawn and release call the HTTP API with the bearer token from the project', async () => {
    writeFileSync(join(projectRoot, '.agent-relay', 'dashboard-token'), 'a'.repeat(64) + '\n');
    const port = await startDashboard((req) => (req.method === 'POST' ? [201, { name: 'W1', pid: 99 }] : [200, { name: 'W1', exitCode: 0, endedBy: 'exit' }]));
    writeMarkerFor(port);
    const dashboard = dashboardMechanism(projectRoot, env());
    await expect(dashboard.spawn({ name: 'W1', cli: 'demo', task: 't' })).resolves.toEqual({ name: 'W1', pid: 99 });
    await expect(dashboard.release('W1', { force: true })).resolves.toMatchObject({ name: 'W1', endedBy: 'exit' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/workers', auth: `Bearer ${'a'.repeat(64)}`, origin: undefined });
    expect(JSON.parse(seen[0].body)).toEqual({ name: 'W1', cli: 'demo', task: 't' });
    expect(seen[1]).toMatchObject({ method: 'DELETE', url: '/api/workers/W1?force=1' });
  });

  it('dashboard: an HTTP error answer is a final refusal carrying its code', async () => {
    writeFileSync(join(projectRoot, '.agent-relay', 'dashboard-token'), 'b'.repeat(64));
    const port = await startDashboard(() => [403, { error: { code: 'POLICY_DENIED', message: 'Not allowed here.' } }]);
    writeMarkerFor(port);
    const onSpawn = vi.fn();
    const chain = new FallbackChain({ dashboard: dashboardMechanism(projectRoot, env()), onSpawn });
    const err = await chain.spawn({ name: 'W1', cli: 'demo' }).catch((e) => e);
    expect(err).toBeInstanceOf(DashboardApiError);
    expect(err).toMatchObject({ status: 403, code: 'POLICY_DENIED', message: 'Not allowed here.' });
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('no daemon socket and a refused dashboard port fall through to the callback', async () => {
    writeFileSync(join(projectRoot, '.agent-relay', 'dashboard-token'), 'c'.repeat(64));
    const port = await startDashboard(() => [500, {}]);
    await new Promise<void>((r) => server!.close(() => r())); // nothing listens there any more
    server = undefined;
    writeMarkerFor(port);
    const client = new RelayClient({ name: 'Lead', socketPath: join(projectRoot, '.agent-relay', 'relay.sock'), reconnect: false });
    const connected = async () => {
      await client.connect();
      return client;
    };
    const onRelease = vi.fn();
    const chain = new FallbackChain({ daemon: daemonMechanism(connected), dashboard: dashboardMechanism(projectRoot, env()), onRelease });
    await expect(chain.release('W1')).resolves.toEqual({ name: 'W1', via: 'callback' });
    expect(onRelease).toHaveBeenCalledOnce();
  });

  it('without a callback the same outage throws, naming each mechanism', async () => {
    const client = new RelayClient({ name: 'Lead', socketPath: join(projectRoot, '.agent-relay', 'relay.sock'), reconnect: false });
    const chain = new FallbackChain({
      daemon: daemonMechanism(async () => (await client.connect(), client)),
      dashboard: dashboardMechanism(projectRoot, env()),
    });
    const err = await chain.spawn({ name: 'W1', cli: 'demo' }).catch((e) => e);
    expect(err).toBeInstanceOf(NoMechanismError);
    expect(err.message).toMatch(/^No spawn mechanism available \(daemon=unreachable \(CONNECT_FAILED\), dashboard=unreachable \(no token at .*dashboard-token\), callback=not configured\)/);
  });
});
