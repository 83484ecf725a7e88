import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirFor, socketPathFor } from '../../../lib/paths';
import { startDaemonServer } from '../../../server/daemon';
import { createRouter, type Router } from '../../../server/router';
import { createSpawnManager, type SpawnManager } from '../../../server/spawn';
import { workerMcpHook } from '../../../server/mcp/worker-config';
import { openStorage, type Storage } from '../../../server/storage';

/**
 * A real relay for real agents: storage, router, SpawnManager and the daemon's Unix socket (the
 * agents' MCP server connects to it), in a temp project, without the web half. Every folder a test
 * needs (the project, temp HOMEs) lives under one temp dir, removed on close.
 */

export interface AgentRelay {
  dir: string;
  projectRoot: string;
  dataDir: string;
  socketPath: string;
  storage: Storage;
  router: Router;
  manager: SpawnManager;
  /** A fresh folder under the relay's temp dir (a HOME, another project). */
  folder(name: string): string;
  close(): Promise<void>;
}

/** `releaseGraceMs`: the relay's release grace (default 3 s here; `agent-relay up` uses 5 s). */
export async function startAgentRelay(options: { releaseGraceMs?: number } = {}): Promise<AgentRelay> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'relay-agents-')));
  const projectRoot = join(dir, 'project');
  mkdirSync(projectRoot);
  // The MCP server a worker runs looks for the daemon marker here, never in the user's ~/.agent-relay.
  process.env.AGENT_RELAY_HOME = join(dir, 'relay-home');
  const dataDir = dataDirFor(projectRoot);
  const socketPath = socketPathFor(projectRoot);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const storage = openStorage({ driver: 'memory', dataDir });
  const router = createRouter({ storage });
  const manager = createSpawnManager({ router, store: storage, projectRoot, dataDir, socketPath, mcp: workerMcpHook, policy: { releaseGraceMs: options.releaseGraceMs ?? 3000 } });
  const daemon = await startDaemonServer({ socketPath, router, storage, spawnManager: manager, statusExtras: () => ({ projectRoot }) });
  return {
    dir, projectRoot, dataDir, socketPath, storage, router, manager,
    folder(name) {
      const path = join(dir, name);
      mkdirSync(path, { recursive: true });
      return path;
    },
    async close() {
      await manager.releaseAll();
      await daemon.close();
      router.close();
      (storage as unknown as { close?: () => void }).close?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
