import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { defaultServerCommand, SERVER_KEY } from './install';

/**
 * Gives a spawned worker our MCP server when its CLI can take one for a single run, so the agent can
 * use relay tools instead of printing `->relay:` lines. Nothing is written into the user's project:
 * - Claude Code: `--mcp-config <file>`, the file kept in `<dataDir>/mcp/<worker>.json`;
 * - Codex: `-c mcp_servers.agent-relay.*=…` overrides (Codex has no per-run config file flag).
 * Other CLIs get nothing and keep using output commands.
 * The server runs in terminal mode (AGENT_RELAY_OUTBOX set): it sends *as* the worker without taking
 * over the worker's delivery, which stays its terminal.
 */

export interface WorkerMcpInput {
  /** The spawn request's `cli`: a preset name or an executable. */
  cli: string;
  name: string;
  dataDir: string;
  socketPath: string;
  outboxDir: string;
  env?: Record<string, string | undefined>;
}

export interface WorkerMcpLaunch {
  /** Arguments to add to the CLI's command line. */
  args: string[];
  /** Files written for this worker (removed by removeWorkerMcpConfig). */
  files: string[];
}

export function workerMcpConfigPath(dataDir: string, name: string): string {
  return join(dataDir, 'mcp', `${name}.json`);
}

function cliKind(cli: string): 'claude' | 'codex' | undefined {
  const base = basename(cli);
  if (base === 'claude') return 'claude';
  if (base === 'codex') return 'codex';
  return undefined;
}

/** TOML inline value for Codex's `-c key=value` (JSON string escapes are valid TOML basic strings). */
function tomlValue(value: string | string[] | Record<string, string>): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

/** Writes what the worker's CLI needs and returns the extra arguments; null when the CLI takes no MCP config. */
export function writeWorkerMcpConfig(input: WorkerMcpInput): WorkerMcpLaunch | null {
  const kind = cliKind(input.cli);
  if (!kind) return null;
  const base = defaultServerCommand((input.env ?? process.env) as NodeJS.ProcessEnv);
  const env = {
    ...(base.env ?? {}),
    RELAY_AGENT_NAME: input.name,
    AGENT_RELAY_NAME: input.name,
    RELAY_SOCKET: input.socketPath,
    AGENT_RELAY_OUTBOX: input.outboxDir,
  };
  if (kind === 'claude') {
    const path = workerMcpConfigPath(input.dataDir, input.name);
    mkdirSync(join(input.dataDir, 'mcp'), { recursive: true, mode: 0o700 });
    const config = { mcpServers: { [SERVER_KEY]: { type: 'stdio', command: base.command, args: base.args, env } } };
    writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
    return { args: ['--mcp-config', path], files: [path] };
  }
  const key = `mcp_servers.${SERVER_KEY}`;
  return {
    args: ['-c', `${key}.command=${tomlValue(base.command)}`, '-c', `${key}.args=${tomlValue(base.args)}`, '-c', `${key}.env=${tomlValue(env)}`],
    files: [],
  };
}

export function removeWorkerMcpConfig(dataDir: string, name: string): void {
  rmSync(workerMcpConfigPath(dataDir, name), { force: true });
}
