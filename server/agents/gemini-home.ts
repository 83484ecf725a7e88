import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import stripJsonComments from 'strip-json-comments';
import { WorkerError } from '../../lib/protocol';
import type { McpServerSpec, WorkerContext } from './types';

/**
 * A Gemini CLI worker's own home for Gemini (GEMINI_CLI_HOME, in the worker's private directory), so it gets our MCP server and its
 * identity without a byte written into the user's `~/.gemini` or project.
 *
 * Why this shape (measured with 0.61.0, docs/agents.md#gemini-cli): Gemini CLI has no per-run MCP or
 * settings-file flag; its system settings files are ignored unless root owns them and every parent
 * directory; but GEMINI_CLI_HOME moves the whole `~/.gemini` it reads. So the worker's `.gemini/` holds
 * a link to every entry of the user's real one (sign-in, extensions, commands, history, sessions
 * stay shared), except:
 * - `settings.json`: a copy of the user's, plus `mcpServers["agent-relay"]` (this worker's entry wins
 *   over one `agent-relay mcp install` put there) and our instructions file in `context.fileName`;
 * - `AGENT_RELAY.md`: the instructions, loaded as global memory into the system instruction.
 * GEMINI_CLI_TRUSTED_FOLDERS_PATH keeps folder trust in the user's real file: a "Trust folder" answer
 * given in the worker's terminal is kept for the user. HOME itself is untouched, so the agent's shell
 * commands see the user's real home.
 */

export const GEMINI_IDENTITY_FILE = 'AGENT_RELAY.md';
const MCP_KEY = 'agent-relay';

export interface GeminiHomePaths {
  /** GEMINI_CLI_HOME for the worker. */
  home: string;
  /** Its `.gemini` directory. */
  dir: string;
  /** The user's real `.gemini` directory it links to. */
  userDir: string;
  /** The home directory the user's Gemini CLI uses (GEMINI_CLI_HOME, else HOME). */
  userHome: string;
}

export function geminiHomePaths(worker: Pick<WorkerContext, 'privateDir' | 'env'>): GeminiHomePaths {
  const home = join(worker.privateDir, 'gemini-home');
  const userHome = worker.env.GEMINI_CLI_HOME || worker.env.HOME || homedir();
  return { home, dir: join(home, '.gemini'), userDir: join(userHome, '.gemini'), userHome };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The user's settings.json as Gemini CLI reads it (JSON with comments), `{}` when there is none. */
export function readUserGeminiSettings(path: string): Json {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(stripJsonComments(text));
  } catch (err) {
    throw new WorkerError(
      'BAD_REQUEST',
      `${path} is not valid JSON (${(err as Error).message}). A Gemini CLI worker gets a copy of your Gemini settings with the relay's MCP server added, ` +
        'so agent-relay has to read it: fix the file (Gemini CLI reports the same problem), then spawn again.',
      'cli',
    );
  }
  if (!isObject(parsed)) {
    throw new WorkerError('BAD_REQUEST', `${path} holds ${Array.isArray(parsed) ? 'an array' : typeof parsed}, not a JSON object of settings. Fix it, then spawn again.`, 'cli');
  }
  return parsed;
}

/** The user's settings with this worker's additions. */
export function workerGeminiSettings(user: Json, server: McpServerSpec | undefined): Json {
  const settings: Json = { ...user };
  if (server) {
    const servers = isObject(user.mcpServers) ? user.mcpServers : {};
    settings.mcpServers = { ...servers, [MCP_KEY]: { command: server.command, args: server.args, env: server.env } };
  }
  const context = isObject(user.context) ? user.context : {};
  const named = context.fileName;
  const names = Array.isArray(named) ? named.filter((n): n is string => typeof n === 'string') : typeof named === 'string' ? [named] : ['GEMINI.md'];
  settings.context = { ...context, fileName: names.includes(GEMINI_IDENTITY_FILE) ? names : [...names, GEMINI_IDENTITY_FILE] };
  return settings;
}

export interface GeminiHomePlan {
  env: Record<string, string>;
  /** The worker's settings.json. */
  files: Array<{ path: string; content: string }>;
  /** Symbolic links to create: `path` -> `target` (the user's real entries). */
  links: Array<{ path: string; target: string }>;
}

/** The environment that points Gemini CLI at the worker's home, trust staying in the user's file. */
export function geminiHomeEnv(worker: Pick<WorkerContext, 'privateDir' | 'env'>): Record<string, string> {
  const paths = geminiHomePaths(worker);
  return {
    GEMINI_CLI_HOME: paths.home,
    GEMINI_CLI_TRUSTED_FOLDERS_PATH: worker.env.GEMINI_CLI_TRUSTED_FOLDERS_PATH || join(paths.userDir, 'trustedFolders.json'),
  };
}

/**
 * What the worker's Gemini home holds besides its instructions. Reads the user's `~/.gemini` (never
 * writes it); the caller writes the files and links (private, under dataDir) when it really spawns.
 */
export function planGeminiHome(worker: WorkerContext, server: McpServerSpec | undefined): GeminiHomePlan {
  const paths = geminiHomePaths(worker);
  const own = new Set(['settings.json', GEMINI_IDENTITY_FILE]);
  const links: GeminiHomePlan['links'] = [];
  if (existsSync(paths.userDir)) {
    for (const entry of readdirSync(paths.userDir)) {
      if (!own.has(entry)) links.push({ path: join(paths.dir, entry), target: join(paths.userDir, entry) });
    }
  }
  // User-level agent skills live in <home>/.agents beside .gemini.
  const agents = join(paths.userHome, '.agents');
  if (existsSync(agents)) links.push({ path: join(paths.home, '.agents'), target: agents });
  const settings = workerGeminiSettings(readUserGeminiSettings(join(paths.userDir, 'settings.json')), server);
  return { env: geminiHomeEnv(worker), files: [{ path: join(paths.dir, 'settings.json'), content: `${JSON.stringify(settings, null, 2)}\n` }], links };
}

/** The worker's instructions, loaded by Gemini CLI as global memory (settings name it in context.fileName). */
export function geminiIdentityFile(worker: Pick<WorkerContext, 'privateDir' | 'env'>, text: string): { path: string; content: string } {
  return { path: join(geminiHomePaths(worker).dir, GEMINI_IDENTITY_FILE), content: `${text}\n` };
}
