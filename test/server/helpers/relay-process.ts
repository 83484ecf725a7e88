import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildIfStale } from '../../../server/lifecycle/build';

/** Runs the real `agent-relay` CLI as a child process against a temp project and AGENT_RELAY_HOME. */

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'bin', 'agent-relay.js');

/** Production mode needs `next build`; build once when missing or stale (others may be building too). */
export async function ensureProductionBuild(): Promise<void> {
  await buildIfStale(REPO_ROOT, { stdio: 'inherit' });
}

export interface Sandbox {
  dir: string;
  projectRoot: string;
  home: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function makeSandbox(): Sandbox {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-server-')));
  const projectRoot = join(dir, 'project');
  const home = join(dir, 'home');
  mkdirSync(projectRoot);
  writeFileSync(join(projectRoot, 'package.json'), '{"private":true}\n');
  // bin/agent-relay.js sets NODE_ENV=production for `up` itself. RELAY_SOCKET would point the CLI
  // at someone else's daemon.
  const env: NodeJS.ProcessEnv = { ...process.env, AGENT_RELAY_HOME: home, AGENT_RELAY_PROJECT: projectRoot, AGENT_RELAY_LOG: 'warn' };
  delete env.RELAY_SOCKET;
  return { dir, projectRoot, home, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RelayProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the printed URL line, rejects if the process exits first. */
  url: Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

export function runCli(args: string[], sandbox: Sandbox): RelayProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: sandbox.projectRoot, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      r({ code, signal });
    }),
  );
  const url = new Promise<string>((resolveUrl, reject) => {
    const onData = () => {
      const match = /^(http:\/\/\S+)$/m.exec(out);
      if (match) {
        child.stdout!.off('data', onData);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`agent-relay exited (code ${code}, signal ${signal}) before printing a URL.\nstdout: ${out}\nstderr: ${err}`)));
  });
  url.catch(() => undefined); // callers that do not wait for a URL must not see an unhandled rejection
  return { child, stdout: () => out, stderr: () => err, exited, url, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** `agent-relay up` on a free port, in memory, no browser. */
export function startUp(sandbox: Sandbox, extra: string[] = []): RelayProcess {
  return runCli(['up', '--storage', 'memory', '--port', '0', '--no-open', '--project', sandbox.projectRoot, ...extra], sandbox);
}

/** For afterAll/afterEach: never leave a server running. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((r) => {
          if (child.exitCode !== null || child.signalCode !== null) return r();
          child.once('exit', () => r());
          child.kill('SIGKILL');
        }),
    ),
  );
}
