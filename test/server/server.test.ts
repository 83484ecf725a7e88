import { request } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverSocket } from '../../lib/discovery';
import { ensureProductionBuild, killAll, makeSandbox, runCli, startUp, REPO_ROOT, type RelayProcess, type Sandbox } from './helpers/relay-process';

/**
 * The real `agent-relay up` (production build, one node process) in a temp project with a temp
 * AGENT_RELAY_HOME: what it prints and writes, what it refuses, and how it stops.
 */

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

function socketIoError(origin: string, opts: { token?: string; headers?: Record<string, string> }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ioClient(origin, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      timeout: 10_000,
      ...(opts.token ? { auth: { token: opts.token } } : {}),
      extraHeaders: opts.headers,
    });
    socket.on('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve(err.data?.code ?? err.message);
    });
    setTimeout(() => reject(new Error('socket.io neither connected nor failed')), 15_000);
  });
}

function tcpConnects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  await ensureProductionBuild();
}, 600_000);

afterAll(async () => {
  await killAll();
});

describe('agent-relay up (production server)', () => {
  let sandbox: Sandbox;
  let server: RelayProcess;
  let url: string;
  let origin: string;
  let token: string;
  let port: number;

  beforeAll(async () => {
    sandbox = makeSandbox();
    server = startUp(sandbox);
    url = await server.url;
    const parsed = new URL(url);
    origin = parsed.origin;
    token = parsed.searchParams.get('token')!;
    port = Number(parsed.port);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    sandbox.cleanup();
  });

  it('prints exactly one clickable line with the token', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(server.stdout().trim()).toBe(url);
  });

  it('writes the marker after listening, with the protocol fields, mode 0600', () => {
    const path = join(sandbox.home, 'active-daemon.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const marker = JSON.parse(readFileSync(path, 'utf8'));
    expect(marker).toEqual({
      socketPath: join(sandbox.projectRoot, '.agent-relay', 'relay.sock'),
      projectRoot: sandbox.projectRoot,
      pid: server.child.pid,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      version: VERSION,
      dashboardUrl: origin,
    });
    expect(statSync(marker.socketPath).isSocket()).toBe(true);
  });

  it('writes the pid file (0600), the token file (0600) and .project', () => {
    const dataDir = join(sandbox.projectRoot, '.agent-relay');
    expect(readFileSync(join(dataDir, 'relay.pid'), 'utf8').trim()).toBe(String(server.child.pid));
    expect(statSync(join(dataDir, 'relay.pid')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dataDir, 'dashboard-token'), 'utf8').trim()).toBe(token);
    expect(statSync(join(dataDir, 'dashboard-token')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dataDir, '.project'), 'utf8'))).toMatchObject({ projectRoot: sandbox.projectRoot, projectId: expect.stringMatching(/^[0-9a-f]{12}$/) });
  });

  it('refuses an API call and a page without the token (401)', async () => {
    const api = await http(`${origin}/api/status`);
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const page = await http(`${origin}/`);
    expect(page.status).toBe(401);
    expect(page.body).toContain('agent-relay up');
  });

  it('serves the API with the token, from the objects the server started', async () => {
    const res = await http(`${origin}/api/status`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ version: VERSION, socketPath: join(sandbox.projectRoot, '.agent-relay', 'relay.sock') });
  });

  it('keeps an idle keep-alive connection past Node\'s 5 s default, so a client reusing it is answered', async () => {
    // Before, the server closed it at 5 s: a request sent on it about then got "socket hang up".
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((r) => socket.once('connect', r));
    let received = '';
    let closed = false;
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('close', () => (closed = true));
    const ask = `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: keep-alive\r\n\r\n`;
    const answers = () => received.split('HTTP/1.1 200 OK').length - 1;
    try {
      socket.write(ask);
      for (let n = 0; n < 200 && answers() < 1; n++) await new Promise((r) => setTimeout(r, 50));
      expect(answers()).toBe(1);
      await new Promise((r) => setTimeout(r, 6500));
      expect(closed).toBe(false);
      socket.write(ask);
      for (let n = 0; n < 200 && answers() < 2; n++) await new Promise((r) => setTimeout(r, 50));
      expect(answers()).toBe(2);
    } finally {
      socket.destroy();
    }
  }, 30_000);

  it('trades ?token= on a page for an HttpOnly SameSite=Strict cookie and a clean URL', async () => {
    const res = await http(`${origin}/?token=${token}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`agent_relay_token=${token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await http(`${origin}/`, { headers: { Cookie: `agent_relay_token=${token}` } });
    expect(page.status).toBe(200);
  });

  it('refuses a foreign Host header with 403 even with the token', async () => {
    const res = await http(`${origin}/api/status`, { headers: { Host: `evil.example:${port}`, Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'FORBIDDEN_HOST' } });
  });

  it('refuses a state-changing request from a foreign Origin with 403', async () => {
    const res = await http(`${origin}/api/messages`, {
      method: 'POST',
      headers: { Origin: 'http://evil.example', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: '*', body: 'hi' }),
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'FORBIDDEN_ORIGIN' } });
  });

  it('refuses the socket.io handshake without a token or from a foreign origin, and accepts it with the token', async () => {
    expect(await socketIoError(origin, {})).not.toBe('connected');
    expect(await socketIoError(origin, { token, headers: { Origin: 'http://evil.example' } })).not.toBe('connected');
    expect(await socketIoError(origin, { token, headers: { Origin: origin } })).toBe('connected');
  });

  it('refuses a WebSocket upgrade outside socket.io without the token', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${origin}/_next/webpack-hmr`, {
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('response', (res) => resolve(res.statusCode!));
      req.on('upgrade', () => reject(new Error('upgraded without a token')));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
  });

  it('binds 127.0.0.1 only by default', async () => {
    expect(await tcpConnects('127.0.0.1', port)).toBe(true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const address of others) expect(await tcpConnects(address, port)).toBe(false);
    expect(await tcpConnects('::1', port)).toBe(false);
  });

  it('refuses a second up in the same project, naming the running pid (exit 1)', async () => {
    const second = startUp(sandbox);
    const { code } = await second.exited;
    expect(code).toBe(1);
    expect(second.stderr()).toContain(`pid ${server.child.pid}`);
    // The refusal touched nothing of the running server's.
    expect(JSON.parse(readFileSync(join(sandbox.home, 'active-daemon.json'), 'utf8')).pid).toBe(server.child.pid);
  });

  it('stops cleanly on SIGTERM: exit 0, socket, pid file and marker removed', async () => {
    server.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(sandbox.projectRoot, '.agent-relay', 'relay.sock'))).toBe(false);
    expect(existsSync(join(sandbox.projectRoot, '.agent-relay', 'relay.pid'))).toBe(false);
    expect(existsSync(join(sandbox.home, 'active-daemon.json'))).toBe(false);
  });
});

describe('agent-relay down and crash recovery', () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = makeSandbox();
  });
  afterAll(async () => {
    await killAll();
    sandbox.cleanup();
  });

  it('down stops the running server (exit 0) and then reports none running (exit 3)', async () => {
    const server = startUp(sandbox);
    await server.url;
    const down = runCli(['down', '--project', sandbox.projectRoot], sandbox);
    expect((await down.exited).code).toBe(0);
    expect(down.stdout()).toContain(`pid ${server.child.pid}`);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const again = runCli(['down', '--project', sandbox.projectRoot], sandbox);
    expect((await again.exited).code).toBe(3);
    expect(again.stderr()).toContain('agent-relay up');
  }, 120_000);

  it('a crashed server leaves a stale marker that discovery ignores and the next up replaces', async () => {
    const crashed = startUp(sandbox);
    await crashed.url;
    crashed.kill('SIGKILL');
    await crashed.exited;
    const markerFile = join(sandbox.home, 'active-daemon.json');
    expect(JSON.parse(readFileSync(markerFile, 'utf8')).pid).toBe(crashed.child.pid);
    expect(await discoverSocket({ env: sandbox.env, cwd: sandbox.dir, globalSocketPath: join(sandbox.dir, 'none.sock') })).toBeNull();

    const next = startUp(sandbox);
    await next.url;
    expect(JSON.parse(readFileSync(markerFile, 'utf8')).pid).toBe(next.child.pid);
    expect(readFileSync(join(sandbox.projectRoot, '.agent-relay', 'relay.pid'), 'utf8').trim()).toBe(String(next.child.pid));
    next.kill('SIGTERM');
    expect((await next.exited).code).toBe(0);
  }, 120_000);
});
