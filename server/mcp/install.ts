import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolveProjectRoot } from '../../lib/paths';
import {
  ConfigFileError,
  planJsonEdit,
  planTomlEdit,
  readTextOrNull,
  writeFileAtomic,
  type EditStatus,
} from './config-file';
import { EDITORS, type EditorId, type InstallScope, type ServerCommand } from './editors';

/** `agent-relay mcp install`: writes (or removes) our server in each editor's MCP config. */

export const SERVER_KEY = 'agent-relay';

export interface InstallOptions {
  editors: EditorId[];
  scope?: InstallScope;
  uninstall?: boolean;
  dryRun?: boolean;
  /** Name the editor's agent uses on the relay (RELAY_AGENT_NAME); default: `mcp-<pid>` at run time. */
  agentName?: string;
  server?: ServerCommand;
  home?: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  projectRoot?: string;
}

export interface InstallResult {
  editor: EditorId;
  label: string;
  path: string | null;
  status: EditStatus | 'unsupported' | 'error';
  /** The entry we write (install) for display. */
  entry?: Record<string, unknown>;
  /** New file content, for --dry-run. */
  content?: string;
  error?: { code: string; message: string };
}

/**
 * The absolute node binary and our bin script: editors start servers with a minimal PATH (GUI apps
 * never see nvm's shell setup), so a bare `agent-relay` would often not be found.
 */
export function defaultServerCommand(env: NodeJS.ProcessEnv = process.env, agentName?: string): ServerCommand {
  const bin = fileURLToPath(new URL('../../bin/agent-relay.js', import.meta.url));
  const serverEnv: Record<string, string> = {};
  if (agentName) serverEnv.RELAY_AGENT_NAME = agentName;
  // A non-default marker location must reach the server, or it would look in ~/.agent-relay.
  if (env.AGENT_RELAY_HOME) serverEnv.AGENT_RELAY_HOME = env.AGENT_RELAY_HOME;
  return {
    command: process.execPath,
    args: [bin, 'mcp', 'serve'],
    ...(Object.keys(serverEnv).length ? { env: serverEnv } : {}),
  };
}

export function installMcp(options: InstallOptions): InstallResult[] {
  const env = options.env ?? process.env;
  const scope = options.scope ?? 'user';
  const ctx = {
    home: options.home ?? env.HOME ?? homedir(),
    platform: options.platform ?? process.platform,
    env,
    projectRoot: options.projectRoot ?? resolveProjectRoot(process.cwd(), env),
  };
  const server = options.server ?? defaultServerCommand(env, options.agentName);
  return options.editors.map((id): InstallResult => {
    const editor = EDITORS[id];
    const path = editor.path(scope, ctx);
    const base = { editor: id, label: editor.label, path };
    if (!path) {
      return {
        ...base,
        status: 'unsupported',
        error: { code: 'UNSUPPORTED_SCOPE', message: `${editor.label} has no ${scope}-scope MCP config; use --scope ${scope === 'user' ? 'project' : 'user'}.` },
      };
    }
    const entry = options.uninstall ? null : editor.entry(server);
    try {
      const text = readTextOrNull(path);
      const plan = (editor.format === 'toml' ? planTomlEdit : planJsonEdit)(text, path, editor.containerKey, SERVER_KEY, entry);
      const changed = plan.status === 'created' || plan.status === 'updated' || plan.status === 'removed';
      if (changed && !options.dryRun) writeFileAtomic(path, plan.content);
      return { ...base, status: plan.status, entry: entry ?? undefined, content: options.dryRun ? plan.content : undefined };
    } catch (err) {
      const code = err instanceof ConfigFileError ? err.code : ((err as NodeJS.ErrnoException).code ?? 'WRITE_FAILED');
      return { ...base, status: 'error', entry: entry ?? undefined, error: { code, message: (err as Error).message } };
    }
  });
}

const VERBS: Record<InstallResult['status'], [string, string]> = {
  created: ['added to', 'would add to'],
  updated: ['updated in', 'would update in'],
  unchanged: ['already up to date in', 'already up to date in'],
  removed: ['removed from', 'would remove from'],
  absent: ['not present in', 'not present in'],
  unsupported: ['not supported for', 'not supported for'],
  error: ['could not be written to', 'could not be written to'],
};

/** One line per editor for people; the entry to paste by hand when a file could not be edited. */
export function describeResult(result: InstallResult, dryRun = false): string {
  const where = result.path ?? '(no config file)';
  const head = `${result.label}: agent-relay ${VERBS[result.status][dryRun ? 1 : 0]} ${where}`;
  if (!result.error) return head;
  const paste = result.entry && result.status === 'error' ? `\n  Entry to add under "${EDITORS[result.editor].containerKey}":\n  ${JSON.stringify({ [SERVER_KEY]: result.entry })}` : '';
  return `${head}\n  ${result.error.message}${paste}`;
}
