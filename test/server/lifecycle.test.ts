import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverSocket } from '../../lib/discovery';
import { dataDirFor, markerPath, socketPathFor } from '../../lib/paths';
import {
  AlreadyRunningError,
  buildStaleReason,
  claimProject,
  markerContent,
  readPidFile,
  readRunningServer,
  removeMarkerIfOurs,
  runDown,
  writeMarker,
  writeProjectFile,
} from '../../server/lifecycle';

let dir: string;
let env: NodeJS.ProcessEnv;
let children: ChildProcess[];
let servers: Server[];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-lifecycle-')));
  env = { ...process.env, AGENT_RELAY_HOME: join(dir, 'home') };
  children = [];
  servers = [];
});

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** A live node process standing in for a running server; `onTerm` decides how it answers SIGTERM. */
async function liveNode(onTerm: 'exit' | 'ignore' = 'exit'): Promise<ChildProcess> {
  const script = onTerm === 'exit' ? "process.on('SIGTERM',()=>setTimeout(()=>process.exit(0),200));setInterval(()=>{},1e3);console.log('up')" : "process.on('SIGTERM',()=>{});setInterval(()=>{},1e3);console.log('up')";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise((r) => child.stdout!.once('data', r));
  return child;
}

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

describe('active-daemon marker', () => {
  it('records projectRoot only when the socket sits in a directory named .agent-relay', () => {
    const inProject = markerContent({ socketPath: socketPathFor(join(dir, 'proj')), pid: 42, startedAt: new Date(0), version: '0.1.0', dashboardUrl: 'http://127.0.0.1:3888' });
    expect(inProject).toEqual({
      socketPath: join(dir, 'proj', '.agent-relay', 'relay.sock'),
      projectRoot: join(dir, 'proj'),
      pid: 42,
      startedAt: '1970-01-01T00:00:00.000Z',
      version: '0.1.0',
      dashboardUrl: 'http://127.0.0.1:3888',
    });
    const global = markerContent({ socketPath: '/tmp/agent-relay.sock', pid: 42, startedAt: new Date(), version: '0.1.0' });
    expect(global).not.toHaveProperty('projectRoot');
  });

  it('is written with mode 0600 and leaves no temp file behind', () => {
    writeMarker({ socketPath: join(dir, 'x.sock'), pid: process.pid, startedAt: new Date(), version: '0.1.0' }, env);
    expect(statSync(markerPath(env)).mode & 0o777).toBe(0o600);
    expect(readdirSync(env.AGENT_RELAY_HOME!)).toEqual(['active-daemon.json']);
  });

  it('is not removed by a process whose pid differs', () => {
    writeMarker({ socketPath: join(dir, 'x.sock'), pid: process.pid + 1, startedAt: new Date(), version: '0.1.0' }, env);
    expect(removeMarkerIfOurs(process.pid, env)).toBe(false);
    expect(existsSync(markerPath(env))).toBe(true);
    writeMarker({ socketPath: join(dir, 'x.sock'), pid: process.pid, startedAt: new Date(), version: '0.1.0' }, env);
    expect(removeMarkerIfOurs(process.pid, env)).toBe(true);
    expect(existsSync(markerPath(env))).toBe(false);
  });

  it('a stale marker (dead pid) is ignored by discovery and by readRunningServer', async () => {
    const project = join(dir, 'proj');
    const socketPath = socketPathFor(project);
    mkdirSync(dataDirFor(project), { recursive: true });
    await listen(join(dir, 'other.sock'));
    writeMarker({ socketPath: join(dir, 'other.sock'), pid: await deadPid(), startedAt: new Date(), version: '0.1.0' }, env);
    expect(await discoverSocket({ env, cwd: dir, globalSocketPath: join(dir, 'none.sock') })).toBeNull();
    writeMarker({ socketPath, pid: await deadPid(), startedAt: new Date(), version: '0.1.0' }, env);
    expect(readRunningServer(project, env)).toBeNull();
  });
});

describe('claiming a project', () => {
  it('refuses a second server in the same project, naming the running pid', async () => {
    const project = join(dir, 'proj');
    const dataDir = dataDirFor(project);
    const other = await liveNode();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'relay.pid'), `${other.pid}\n`);
    const claim = claimProject({ projectRoot: project, dataDir, socketPath: socketPathFor(project), env });
    await expect(claim).rejects.toBeInstanceOf(AlreadyRunningError);
    await expect(claim).rejects.toThrow(`pid ${other.pid}`);
    expect(readPidFile(dataDir)).toBe(other.pid);
  });

  it('replaces a stale pid file and socket left by a crash', async () => {
    const project = join(dir, 'proj');
    const dataDir = dataDirFor(project);
    const socketPath = socketPathFor(project);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'relay.pid'), `${await deadPid()}\n`);
    // A socket file nobody listens on, as a killed daemon leaves it.
    const crashed = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(crashed);
    await new Promise((r) => crashed.stdout!.once('data', r));
    crashed.kill('SIGKILL');
    await new Promise((r) => crashed.once('exit', r));
    expect(statSync(socketPath).isSocket()).toBe(true);
    await claimProject({ projectRoot: project, dataDir, socketPath, env });
    expect(readPidFile(dataDir)).toBe(process.pid);
    expect(existsSync(socketPath)).toBe(false);
  });

  it('refuses when something already accepts connections on the socket', async () => {
    const project = join(dir, 'proj');
    const dataDir = dataDirFor(project);
    mkdirSync(dataDir, { recursive: true });
    await listen(socketPathFor(project));
    await expect(claimProject({ projectRoot: project, dataDir, socketPath: socketPathFor(project), env })).rejects.toThrow(/already running/);
  });
});

describe('agent-relay down', () => {
  it('exits 3 with the hint `agent-relay up` when nothing runs', async () => {
    const lines: string[] = [];
    const code = await runDown({ projectRoot: join(dir, 'proj'), env, print: (l) => lines.push(l) });
    expect(code).toBe(3);
    expect(lines.join('\n')).toContain('agent-relay up');
  });

  it('sends SIGTERM to the pid in the pid file and waits until it has exited', async () => {
    const project = join(dir, 'proj');
    const server = await liveNode('exit');
    mkdirSync(dataDirFor(project), { recursive: true });
    writeFileSync(join(dataDirFor(project), 'relay.pid'), `${server.pid}\n`);
    const exited = new Promise((r) => server.once('exit', (code, signal) => r({ code, signal })));
    const lines: string[] = [];
    expect(await runDown({ projectRoot: project, env, print: (l) => lines.push(l) })).toBe(0);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(lines[0]).toContain(`pid ${server.pid}`);
  });

  it('reports failure (1) when the server does not stop in time', async () => {
    const project = join(dir, 'proj');
    const stubborn = await liveNode('ignore');
    mkdirSync(dataDirFor(project), { recursive: true });
    writeFileSync(join(dataDirFor(project), 'relay.pid'), `${stubborn.pid}\n`);
    expect(await runDown({ projectRoot: project, env, timeoutMs: 300, print: () => undefined })).toBe(1);
  });
});

describe('project file and build staleness', () => {
  it('writes .project with projectRoot, projectId and a createdAt kept across restarts', async () => {
    const project = join(dir, 'proj');
    writeProjectFile(dataDirFor(project), project);
    const first = JSON.parse(readFileSync(join(dataDirFor(project), '.project'), 'utf8'));
    expect(first.projectRoot).toBe(project);
    expect(first.projectId).toMatch(/^[0-9a-f]{12}$/);
    writeProjectFile(dataDirFor(project), project);
    expect(JSON.parse(readFileSync(join(dataDirFor(project), '.project'), 'utf8')).createdAt).toBe(first.createdAt);
  });

  it('calls the build stale when BUILD_ID is missing or older than a source file', () => {
    const repo = join(dir, 'repo');
    mkdirSync(join(repo, 'app', 'x'), { recursive: true });
    mkdirSync(join(repo, '.next'), { recursive: true });
    writeFileSync(join(repo, 'app', 'x', 'page.tsx'), '');
    expect(buildStaleReason(repo)).toMatch(/no production build/);
    writeFileSync(join(repo, '.next', 'BUILD_ID'), 'id');
    const past = new Date(Date.now() - 60_000);
    for (const p of [join(repo, 'app', 'x', 'page.tsx'), join(repo, 'app', 'x'), join(repo, 'app')]) utimesSync(p, past, past);
    expect(buildStaleReason(repo)).toBeUndefined();
    writeFileSync(join(repo, 'app', 'x', 'page.tsx'), 'changed');
    expect(buildStaleReason(repo)).toMatch(/app changed/);
  });
});
