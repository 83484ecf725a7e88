import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { profileFor, type McpServerSpec } from '../agents';
import type { WorkerMcpHook, WorkerMcpServerInput } from '../spawn/launch';
import { resetPrivateDir, workerPrivateDir, writePrivateFiles, writePrivateLinks } from '../spawn/private-dir';
import { defaultServerCommand } from './install';

/**
 * Our MCP server as a spawned worker runs it. How each CLI takes it for one run is its agent
 * profile's business (server/agents: Claude Code `--mcp-config <file>`, Codex `-c mcp_servers.*`);
 * nothing is written into the user's project. The server runs in terminal mode (AGENT_RELAY_OUTBOX
 * set): it sends *as* the worker without taking over the worker's delivery, which stays its terminal.
 * Once the CLI has listed its tools, the server writes AGENT_RELAY_MCP_READY (the worker types its
 * task only then: Claude Code connects MCP servers in the background).
 */

export function workerMcpConfigPath(dataDir: string, name: string): string {
  return join(dataDir, 'mcp', `${name}.json`);
}

export function mcpReadyFilePath(dataDir: string, name: string): string {
  return join(dataDir, 'mcp', `${name}.ready`);
}

export function workerMcpServer(input: WorkerMcpServerInput): McpServerSpec {
  const base = defaultServerCommand((input.env ?? process.env) as NodeJS.ProcessEnv);
  return {
    command: base.command,
    args: base.args,
    env: {
      ...(base.env ?? {}),
      RELAY_AGENT_NAME: input.name,
      AGENT_RELAY_NAME: input.name,
      RELAY_SOCKET: input.socketPath,
      AGENT_RELAY_OUTBOX: input.outboxDir,
      AGENT_RELAY_MCP_READY: input.readyFile,
    },
  };
}

export interface WorkerMcpInput {
  /** The spawn request's `cli`: a preset name or an executable. */
  cli: string;
  name: string;
  dataDir: string;
  socketPath: string;
  outboxDir: string;
  env?: Record<string, string | undefined>;
}

/** The MCP part of a worker's launch alone (its files and links written); null when the CLI takes no MCP server. */
export function writeWorkerMcpConfig(input: WorkerMcpInput): { args: string[]; env: Record<string, string>; files: string[] } | null {
  const profile = profileFor(input.cli);
  if (!profile?.mcp) return null;
  const server = workerMcpServer({ ...input, readyFile: mcpReadyFilePath(input.dataDir, input.name) });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.env ?? {})) if (v !== undefined) env[k] = v;
  const privateDir = workerPrivateDir(input.dataDir, input.name);
  const addition = profile.mcp(server, { name: input.name, peers: [], dataDir: input.dataDir, privateDir, socketPath: input.socketPath, outboxDir: input.outboxDir, cwd: '', env });
  resetPrivateDir(privateDir);
  writePrivateFiles(addition.files ?? []);
  writePrivateLinks(addition.links ?? []);
  return { args: addition.args ?? [], env: addition.env ?? {}, files: (addition.files ?? []).map((f) => f.path) };
}

/** Removes a worker's per-run config: its MCP config and ready signal, and its private directory. */
export function removeWorkerMcpConfig(dataDir: string, name: string): void {
  workerMcpHook.remove(dataDir, name);
  resetPrivateDir(workerPrivateDir(dataDir, name));
}

/**
 * The launch hook server/index.ts gives the SpawnManager (server/spawn/launch.ts): the spawn domain
 * asks for our MCP server through it instead of importing this surface.
 */
export const workerMcpHook: WorkerMcpHook = {
  server: workerMcpServer,
  readyFile: mcpReadyFilePath,
  remove: (dataDir, name) => {
    rmSync(workerMcpConfigPath(dataDir, name), { force: true });
    rmSync(mcpReadyFilePath(dataDir, name), { force: true });
  },
};
