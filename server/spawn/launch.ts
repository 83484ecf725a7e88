import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { WorkerError, type SpawnRequest } from '../../lib/protocol';
import { identityText, presetProfile, profileFor, type AgentProfile, type McpServerSpec, type WorkerContext } from '../agents';
import { workerPrivateDir } from './private-dir';
import { cleanInheritedEnv } from './worker-env';

/**
 * Turns a spawn request into exactly what will run: executable, arguments, environment, the files
 * the launch needs, and the agent profile that knows the CLI. One function for spawning and for
 * showing the command line before spawning (the dialog's preview), so the two never differ.
 */

export interface LaunchContext {
  name: string;
  cwd: string;
  dataDir: string;
  socketPath: string;
  outboxDir: string;
  spawnerName?: string;
  /** Other agents on the relay now (the agent is told who is there). */
  peers: string[];
  /** The relay's own environment (cleaned of what belongs to how the relay was started). */
  processEnv: NodeJS.ProcessEnv;
  uid: number | undefined;
  /** Our MCP server for agent CLIs that take one; without it no worker gets one. */
  mcp?: WorkerMcpHook;
}

export interface WorkerMcpServerInput {
  name: string;
  socketPath: string;
  outboxDir: string;
  /** Written by the server once the CLI has listed its tools. */
  readyFile: string;
  env?: Record<string, string | undefined>;
}

/**
 * [launch hook] The relay's MCP server as a worker runs it (server/mcp/worker-config.ts
 * `workerMcpHook`, passed in by server/index.ts): spawn asks for it here rather than importing the
 * MCP surface. How a CLI takes the server is its agent profile's business (`profile.mcp`).
 */
export interface WorkerMcpHook {
  /** The command, args and env of our MCP server for this worker. */
  server(input: WorkerMcpServerInput): McpServerSpec;
  /** Where the server says the CLI has listed its tools (input waits for it). */
  readyFile(dataDir: string, name: string): string;
  /** Removes a worker's MCP config and ready file (with the worker). */
  remove(dataDir: string, name: string): void;
}

export interface ResolvedLaunch {
  file: string;
  args: string[];
  env: Record<string, string>;
  /** The preset named by `cli`, if any (its flags were added). */
  preset?: string;
  /** The profile that knows this CLI (a preset, or an executable named like one). */
  profile?: AgentProfile;
  /** Preset permission-skipping flags added (`interactive` not set). */
  skipPermissions: boolean;
  /** The flags "Skip permission prompts" adds for this preset (empty: it has none). */
  permissionFlags: string[];
  /** Private files to write before starting (MCP config). */
  files: Array<{ path: string; content: string }>;
  /** Symbolic links to create with them (Gemini CLI's per-worker home links the user's ~/.gemini). */
  links: Array<{ path: string; target: string }>;
  /** The worker's own directory: emptied before the files and links are written. */
  privateDir: string;
  /** Written by our MCP server once the CLI listed its tools; absent when the CLI gets no MCP server. */
  mcpReadyFile?: string;
  /** The command as a shell would spell it, for people. */
  commandLine: string;
}

export function resolveLaunch(request: SpawnRequest, ctx: LaunchContext): ResolvedLaunch {
  const preset = presetProfile(request.cli);
  const profile = profileFor(request.cli);
  const skipPermissions = preset !== undefined && !request.interactive;
  const flagOptions = { skipPermissions, model: request.model };
  const env = cleanInheritedEnv(ctx.processEnv);
  Object.assign(env, preset?.env?.(flagOptions) ?? {});
  for (const [k, v] of Object.entries(request.env ?? {})) if (v !== undefined) env[k] = v;
  Object.assign(env, {
    AGENT_RELAY_NAME: ctx.name,
    RELAY_AGENT_NAME: ctx.name,
    RELAY_SOCKET: ctx.socketPath,
    AGENT_RELAY_OUTBOX: ctx.outboxDir,
    AGENT_RELAY_SPAWNER: ctx.spawnerName ?? '',
    TERM: 'xterm-256color',
    // CLIs that draw in colour check it (Gemini CLI warns without it); every viewer is xterm.js.
    COLORTERM: 'truecolor',
  });
  const file = findExecutable(preset?.command ?? request.cli, ctx.cwd, env.PATH ?? '');
  const refusal = profile?.refuse?.({ ...flagOptions, env, uid: ctx.uid });
  if (refusal) throw new WorkerError('ROOT_NOT_ALLOWED', refusal, 'cli');

  const worker: WorkerContext = {
    name: ctx.name, peers: ctx.peers, spawnerName: ctx.spawnerName, task: request.task,
    dataDir: ctx.dataDir, privateDir: workerPrivateDir(ctx.dataDir, ctx.name), socketPath: ctx.socketPath, outboxDir: ctx.outboxDir, cwd: ctx.cwd, env,
  };
  const files: ResolvedLaunch['files'] = [];
  const links: ResolvedLaunch['links'] = [];
  const extra: string[] = [];
  let mcpReadyFile: string | undefined;
  if (profile?.mcp && ctx.mcp) {
    mcpReadyFile = ctx.mcp.readyFile(ctx.dataDir, ctx.name);
    const added = profile.mcp(ctx.mcp.server({ name: ctx.name, socketPath: ctx.socketPath, outboxDir: ctx.outboxDir, readyFile: mcpReadyFile, env }), worker);
    extra.push(...(added.args ?? []));
    files.push(...(added.files ?? []));
    links.push(...(added.links ?? []));
    Object.assign(env, added.env ?? {});
  }
  if (profile?.identity) {
    const added = profile.identity(identityText(worker, { mcp: mcpReadyFile !== undefined }), worker);
    extra.push(...(added.args ?? []));
    files.push(...(added.files ?? []));
    links.push(...(added.links ?? []));
    Object.assign(env, added.env ?? {});
  }
  const args = [...extra, ...(preset?.args(flagOptions) ?? []), ...(request.args ?? [])];
  const withSkip = preset?.args({ skipPermissions: true }) ?? [];
  const withoutSkip = new Set(preset?.args({ skipPermissions: false }) ?? []);
  return {
    file, args, env, preset: preset?.id, profile, skipPermissions, files, links, privateDir: worker.privateDir, mcpReadyFile,
    permissionFlags: withSkip.filter((a) => !withoutSkip.has(a)),
    commandLine: [file, ...args].map(shellQuote).join(' '),
  };
}

/** POSIX shell quoting, for showing a command line (never executed through a shell). */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Finds `command` the way execvp would (PATH for bare names, relative to cwd for paths); throws CLI_NOT_FOUND. */
export function findExecutable(command: string, cwd: string, pathEnv: string): string {
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(cwd, command);
    if (isExecutableFile(full)) return full;
    throw new WorkerError('CLI_NOT_FOUND', `"${command}" was looked up at ${full} and is not an executable file. Check the path, or make it executable (chmod +x).`, 'cli');
  }
  const dirs = pathEnv.split(delimiter).filter(Boolean);
  for (const dir of dirs) {
    const full = join(resolve(cwd, dir), command);
    if (isExecutableFile(full)) return full;
  }
  throw new WorkerError(
    'CLI_NOT_FOUND',
    `"${command}" was not found on PATH (looked in ${dirs.length ? dirs.join(', ') : 'an empty PATH'}). Install it, or give a full path.`,
    'cli',
  );
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
