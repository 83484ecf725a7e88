import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FullConfig } from '@playwright/test';
import { buildIfStale } from '../server/lifecycle/build';
import type { E2eServerInfo } from './server-info';

/**
 * Builds when stale, then starts ONE production server (`node bin/agent-relay.js up`, the same
 * command a person runs) on a temp project with a temp AGENT_RELAY_HOME, storage memory, a free
 * port. Exports its facts to specs (env + JSON file, see server-info.ts). The returned teardown
 * stops it with SIGTERM and checks that socket, pid file and marker are gone.
 */

const REPO_ROOT = resolve(import.meta.dirname, '..');

export default async function globalSetup(_config: FullConfig): Promise<() => Promise<void>> {
  await buildIfStale(REPO_ROOT, { stdio: 'inherit', log: (line) => console.log(line) });

  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-relay-e2e-')));
  const projectRoot = join(dir, 'project');
  const home = join(dir, 'home');
  mkdirSync(projectRoot);
  writeFileSync(join(projectRoot, 'package.json'), '{"name":"e2e-project","private":true}\n');

  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'agent-relay.js'), 'up', '--storage', 'memory', '--port', '0', '--no-open', '--project', projectRoot], {
    cwd: projectRoot,
    env: { ...process.env, AGENT_RELAY_HOME: home, AGENT_RELAY_PROJECT: projectRoot },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(d);
  });
  const url = await firstUrlLine(child, () => stderr);
  const parsed = new URL(url);
  const info: E2eServerInfo = {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    projectRoot,
    home,
    socketPath: join(projectRoot, '.agent-relay', 'relay.sock'),
    pid: child.pid!,
  };
  const infoPath = join(dir, 'server.json');
  writeFileSync(infoPath, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  Object.assign(process.env, {
    AGENT_RELAY_E2E_INFO: infoPath,
    AGENT_RELAY_E2E_URL: info.url,
    AGENT_RELAY_E2E_ORIGIN: info.origin,
    AGENT_RELAY_E2E_TOKEN: info.token,
    AGENT_RELAY_E2E_PROJECT: projectRoot,
    AGENT_RELAY_E2E_HOME: home,
  });

  return async () => {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.exitCode !== null ? r({ code: child.exitCode, signal: null }) : child.once('exit', (code, signal) => r({ code, signal })),
    );
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    const leftovers = [info.socketPath, join(projectRoot, '.agent-relay', 'relay.pid'), join(home, 'active-daemon.json')].filter((p) => existsSync(p));
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`e2e server did not stop cleanly (code ${code}, signal ${signal}).`);
    if (leftovers.length) throw new Error(`e2e server left files behind: ${leftovers.join(', ')}`);
  };
}

function firstUrlLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('e2e server printed no URL within 90 s')), 90_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\nstdout: ${out}\nstderr: ${stderr()}`));
    };
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^(http:\/\/\S+\?token=[0-9a-f]+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.once('exit', (code, signal) => fail(new Error(`e2e server exited before listening (code ${code}, signal ${signal})`)));
  });
}
