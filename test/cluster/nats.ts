import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real nats-server processes on random loopback ports (Debian's 2.9.10 at /usr/sbin/nats-server;
 * .ci/run installs it when missing). JetStream on, its store in a temp dir.
 */

export const NATS_SERVER = process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface NatsServer {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** The server's recent output (for failure messages). */
  log(): string;
  /** Stop gracefully (SIGTERM) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Start again on the same port and store (after stop or kill). */
  restart(): Promise<void>;
  cleanup(): void;
}

function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = tcpConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nats-server did not listen on ${port}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

interface ServerSpec {
  port: number;
  dir: string;
  config?: string;
  /** Extra command-line flags (auth). */
  args?: string[];
  log: string[];
}

function launch(spec: ServerSpec): ChildProcess {
  const args = spec.config ? ['-c', spec.config] : ['-js', '-sd', join(spec.dir, 'js'), '-a', '127.0.0.1', '-p', String(spec.port), ...(spec.args ?? [])];
  const proc = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => {
    spec.log.push(b.toString());
    if (spec.log.length > 200) spec.log.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return proc;
}

function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

function handle(spec: ServerSpec, waitReady: (port: number) => Promise<void>): NatsServer {
  const server: NatsServer = {
    url: `nats://127.0.0.1:${spec.port}`,
    port: spec.port,
    dir: spec.dir,
    proc: launch(spec),
    log: () => spec.log.join(''),
    async stop() {
      server.proc.kill('SIGTERM');
      await exited(server.proc);
    },
    async kill() {
      server.proc.kill('SIGKILL');
      await exited(server.proc);
    },
    async restart() {
      server.proc = launch(spec);
      await waitReady(spec.port);
    },
    cleanup() {
      if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
      rmSync(spec.dir, { recursive: true, force: true });
    },
  };
  return server;
}

/**
 * One server. `args`: extra flags (`--auth TOKEN`, `--user u --pass p`); `config(port, dir)`: the
 * text of a config file to run with instead (it must set listen and jetstream itself).
 */
export async function startNats(options: { args?: string[]; config?: (port: number, dir: string) => string } = {}): Promise<NatsServer> {
  const spec: ServerSpec = { port: await freePort(), dir: mkdtempSync(join(tmpdir(), 'relay-nats-')), args: options.args, log: [] };
  if (options.config) {
    spec.config = join(spec.dir, 'server.conf');
    writeFileSync(spec.config, options.config(spec.port, spec.dir));
  }
  const server = handle(spec, waitForPort);
  await waitForPort(spec.port);
  return server;
}

/** Three servers in one NATS cluster with JetStream clustering (streams can have 3 replicas). */
export async function startNatsCluster(): Promise<NatsServer[]> {
  const ports = await Promise.all([0, 1, 2].map(() => freePort()));
  const routes = await Promise.all([0, 1, 2].map(() => freePort()));
  const specs: ServerSpec[] = ports.map((port, i) => {
    const dir = mkdtempSync(join(tmpdir(), `relay-nats${i}-`));
    const config = join(dir, 'server.conf');
    writeFileSync(
      config,
      [
        `server_name: n${i}`,
        `listen: 127.0.0.1:${port}`,
        `jetstream { store_dir: "${join(dir, 'js')}" }`,
        'cluster {',
        '  name: relaytest',
        `  listen: 127.0.0.1:${routes[i]}`,
        `  routes: [${routes.filter((_, j) => j !== i).map((r) => `nats-route://127.0.0.1:${r}`).join(', ')}]`,
        '}',
      ].join('\n'),
    );
    return { port, dir, config, log: [] };
  });
  const servers = specs.map((s) => handle(s, waitForPort));
  await Promise.all(ports.map((p) => waitForPort(p)));
  return servers;
}
