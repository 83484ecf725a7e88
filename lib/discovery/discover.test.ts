import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSocket, isPidAlive, probeSocket, readMarker } from './index';

let dir: string;
let servers: Server[];
let env: NodeJS.ProcessEnv;
const noGlobal = () => join(dir, 'no-global.sock');

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => s.end());
    server.once('error', reject);
    server.listen(path, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

function writeMarker(content: object): void {
  mkdirSync(env.AGENT_RELAY_HOME!, { recursive: true });
  writeFileSync(join(env.AGENT_RELAY_HOME!, 'active-daemon.json'), JSON.stringify(content));
}

/** A pid that certainly belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'discovery-')));
  servers = [];
  env = { NODE_ENV: 'test', AGENT_RELAY_HOME: join(dir, 'home') };
});

afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe('discoverSocket', () => {
  it('prefers the explicit option over everything else', async () => {
    const found = await discoverSocket({ socketPath: join(dir, 'x.sock'), env: { ...env, RELAY_SOCKET: '/elsewhere' }, cwd: dir });
    expect(found).toEqual({ socketPath: join(dir, 'x.sock'), source: 'option' });
  });

  it('uses RELAY_SOCKET before the project socket', async () => {
    mkdirSync(join(dir, '.agent-relay'));
    await listen(join(dir, '.agent-relay', 'relay.sock'));
    const found = await discoverSocket({ env: { ...env, RELAY_SOCKET: join(dir, 'env.sock') }, cwd: dir });
    expect(found).toEqual({ socketPath: join(dir, 'env.sock'), source: 'env' });
  });

  it('finds the project socket in an ancestor of the working directory', async () => {
    mkdirSync(join(dir, '.agent-relay'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    await listen(join(dir, '.agent-relay', 'relay.sock'));
    const found = await discoverSocket({ env, cwd: join(dir, 'a', 'b'), globalSocketPath: noGlobal() });
    expect(found?.source).toBe('project');
    expect(found?.socketPath).toBe(join(dir, '.agent-relay', 'relay.sock'));
  });

  it('ignores a .agent-relay/relay.sock that is a plain file, not a socket', async () => {
    mkdirSync(join(dir, '.agent-relay'));
    writeFileSync(join(dir, '.agent-relay', 'relay.sock'), '');
    expect(await discoverSocket({ env, cwd: dir, globalSocketPath: noGlobal() })).toBeNull();
  });

  it('uses a live marker from any directory', async () => {
    const sock = join(dir, 'daemon.sock');
    await listen(sock);
    writeMarker({ socketPath: sock, pid: process.pid, startedAt: new Date().toISOString(), version: '0.1.0', dashboardUrl: 'http://127.0.0.1:3888' });
    const found = await discoverSocket({ env, cwd: dir, globalSocketPath: noGlobal() });
    expect(found?.source).toBe('marker');
    expect(found?.socketPath).toBe(sock);
    expect(found?.marker?.dashboardUrl).toBe('http://127.0.0.1:3888');
  });

  it('ignores a stale marker whose pid is dead', async () => {
    const sock = join(dir, 'daemon.sock');
    await listen(sock);
    writeMarker({ socketPath: sock, pid: await deadPid(), startedAt: new Date().toISOString(), version: '0.1.0' });
    expect(await discoverSocket({ env, cwd: dir, globalSocketPath: noGlobal() })).toBeNull();
  });

  it('ignores a marker whose socket refuses connections', async () => {
    const sock = join(dir, 'daemon.sock');
    const server = await listen(sock);
    await new Promise((r) => server.close(r));
    servers = [];
    writeFileSync(sock, ''); // what a crash can leave: a path nobody listens on
    writeMarker({ socketPath: sock, pid: process.pid, startedAt: new Date().toISOString(), version: '0.1.0' });
    expect(await discoverSocket({ env, cwd: dir, globalSocketPath: noGlobal() })).toBeNull();
  });

  it('falls back to the global socket when nothing else applies', async () => {
    const global = join(dir, 'global.sock');
    await listen(global);
    writeMarker({ not: 'a marker' });
    expect(await discoverSocket({ env, cwd: dir, globalSocketPath: global })).toEqual({ socketPath: global, source: 'global' });
  });
});

describe('marker and probes', () => {
  it('readMarker returns null for a missing or malformed marker', () => {
    expect(readMarker(env)).toBeNull();
    mkdirSync(env.AGENT_RELAY_HOME!, { recursive: true });
    writeFileSync(join(env.AGENT_RELAY_HOME!, 'active-daemon.json'), '{nope');
    expect(readMarker(env)).toBeNull();
  });

  it('isPidAlive tells a live pid from an exited one', async () => {
    expect(isPidAlive(process.pid)).toBe(true);
    expect(isPidAlive(await deadPid())).toBe(false);
  });

  it('probeSocket is true for a listening socket and false for a missing one', async () => {
    const sock = join(dir, 'p.sock');
    await listen(sock);
    expect(await probeSocket(sock)).toBe(true);
    expect(await probeSocket(join(dir, 'missing.sock'))).toBe(false);
  });
});
