import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..');

export interface OwnRelay {
  /** The dashboard URL with its token, as `up` printed it. */
  url: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after 20 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * A spec's own `agent-relay up` (memory storage, a free port) for the agent specs, whose HOME and
 * model endpoints the shared e2e server must not carry. Resolves with the URL it prints; rejects
 * with its output when it exits first or prints nothing in 90 s.
 */
export function startOwnRelay(project: string, env: NodeJS.ProcessEnv): Promise<OwnRelay> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'agent-relay.js'), 'up', '--storage', 'memory', '--port', '0', '--no-open', '--project', project], {
    cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<OwnRelay>((resolveRelay, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`agent-relay up printed no URL in 90 s.\nstdout: ${out}\nstderr: ${err}`));
    }, 90_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^(http:\/\/\S+\?token=[0-9a-f]+)$/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolveRelay({ url: match[1], process: child, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`agent-relay up exited (code ${code}) before listening.\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}
