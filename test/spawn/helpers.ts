import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouter, type Router } from '../../server/router';
import { openStorage, type Storage } from '../../server/storage';
import { createSpawnManager, type SpawnManager, type SpawnPolicy } from '../../server/spawn';
import { workerMcpHook } from '../../server/mcp/worker-config';

export interface SpawnFixture {
  projectRoot: string;
  dataDir: string;
  storage: Storage;
  router: Router;
  manager: SpawnManager;
  /** A second manager over the same storage (a restart). */
  restart(): SpawnManager;
  cleanup(): Promise<void>;
}

export function makeFixture(policy?: SpawnPolicy, opts: { watchOutbox?: boolean } = {}): SpawnFixture {
  const projectRoot = mkdtempSync(join(tmpdir(), 'relay-spawn-'));
  process.env.AGENT_RELAY_HOME = join(projectRoot, 'home');
  const dataDir = join(projectRoot, '.agent-relay');
  const storage = openStorage({ driver: 'memory' });
  const router = createRouter({ storage });
  const managers: SpawnManager[] = [];
  const make = () => {
    const m = createSpawnManager({
      router, store: storage, projectRoot, dataDir, socketPath: join(dataDir, 'relay.sock'), mcp: workerMcpHook,
      // Interactive bash ignores SIGTERM: a short grace keeps cleanup quick.
      policy: { releaseGraceMs: 500, ...policy }, watchOutbox: opts.watchOutbox,
    });
    managers.push(m);
    return m;
  };
  const manager = make();
  return {
    projectRoot, dataDir, storage, router, manager,
    restart: make,
    async cleanup() {
      for (const m of managers) await m.releaseAll();
      router.close();
      (storage as unknown as { close?: () => void }).close?.();
      rmSync(projectRoot, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function outputText(manager: SpawnManager, name: string): Promise<string> {
  const parts: Buffer[] = [];
  let since = 0;
  for (;;) {
    const slice = await manager.readOutput(name, since, 4 * 1024 * 1024);
    parts.push(slice.data);
    since = slice.start + slice.data.length;
    if (slice.data.length === 0 || since >= slice.end) break;
  }
  return Buffer.concat(parts).toString('utf8');
}

export function exitOf(manager: SpawnManager, name: string) {
  return waitFor(() => {
    const w = manager.getWorker(name);
    return w?.status === 'exited' ? w : undefined;
  }, 20_000, `${name} to exit`);
}
