import { join } from 'node:path';

/**
 * Where each editor keeps its MCP servers and what one entry looks like there.
 * Every path and shape here was checked against the editor's own documentation (see docs/mcp.md).
 */

export type EditorId =
  | 'claude-code'
  | 'claude-desktop'
  | 'cursor'
  | 'vscode'
  | 'gemini'
  | 'codex'
  | 'windsurf'
  | 'opencode';

export type InstallScope = 'user' | 'project';

/** How the editor should start our server. */
export interface ServerCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface PathContext {
  home: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  projectRoot: string;
}

export interface EditorTarget {
  id: EditorId;
  label: string;
  format: 'json' | 'toml';
  /** The object holding servers by name, as a path of keys from the file's root. */
  containerKey: string;
  /** Null when the editor has no config file for that scope. */
  path(scope: InstallScope, ctx: PathContext): string | null;
  entry(server: ServerCommand): Record<string, unknown>;
}

/** Claude Desktop, Cursor, Gemini CLI, Windsurf and Claude Code share the `mcpServers` shape. */
function standardEntry(server: ServerCommand): Record<string, unknown> {
  return { command: server.command, args: server.args, ...(server.env ? { env: server.env } : {}) };
}

/** `~/Library/Application Support` on macOS, `%APPDATA%` on Windows, `$XDG_CONFIG_HOME` or `~/.config` elsewhere. */
function appConfigDir(ctx: PathContext): string {
  if (ctx.platform === 'darwin') return join(ctx.home, 'Library', 'Application Support');
  if (ctx.platform === 'win32') return ctx.env.APPDATA ?? join(ctx.home, 'AppData', 'Roaming');
  return ctx.env.XDG_CONFIG_HOME ?? join(ctx.home, '.config');
}

export const EDITORS: Record<EditorId, EditorTarget> = {
  'claude-code': {
    id: 'claude-code',
    label: 'Claude Code',
    format: 'json',
    containerKey: 'mcpServers',
    // User scope lives at the root of ~/.claude.json; project scope is .mcp.json at the project root.
    path: (scope, ctx) => (scope === 'user' ? join(ctx.home, '.claude.json') : join(ctx.projectRoot, '.mcp.json')),
    entry: (s) => ({ type: 'stdio', ...standardEntry(s) }),
  },
  'claude-desktop': {
    id: 'claude-desktop',
    label: 'Claude Desktop',
    format: 'json',
    containerKey: 'mcpServers',
    path: (scope, ctx) => (scope === 'user' ? join(appConfigDir(ctx), 'Claude', 'claude_desktop_config.json') : null),
    entry: standardEntry,
  },
  cursor: {
    id: 'cursor',
    label: 'Cursor',
    format: 'json',
    containerKey: 'mcpServers',
    path: (scope, ctx) => join(scope === 'user' ? ctx.home : ctx.projectRoot, '.cursor', 'mcp.json'),
    entry: standardEntry,
  },
  vscode: {
    id: 'vscode',
    label: 'VS Code',
    format: 'json',
    // VS Code's own format: top-level `servers`, each with an explicit `type`.
    containerKey: 'servers',
    path: (scope, ctx) =>
      scope === 'user' ? join(appConfigDir(ctx), 'Code', 'User', 'mcp.json') : join(ctx.projectRoot, '.vscode', 'mcp.json'),
    entry: (s) => ({ type: 'stdio', ...standardEntry(s) }),
  },
  gemini: {
    id: 'gemini',
    label: 'Gemini CLI',
    format: 'json',
    containerKey: 'mcpServers',
    path: (scope, ctx) => join(scope === 'user' ? ctx.home : ctx.projectRoot, '.gemini', 'settings.json'),
    entry: standardEntry,
  },
  codex: {
    id: 'codex',
    label: 'Codex',
    format: 'toml',
    containerKey: 'mcp_servers',
    // Codex reads $CODEX_HOME/config.toml, and .codex/config.toml in a trusted project.
    path: (scope, ctx) =>
      scope === 'user'
        ? join(ctx.env.CODEX_HOME ?? join(ctx.home, '.codex'), 'config.toml')
        : join(ctx.projectRoot, '.codex', 'config.toml'),
    entry: standardEntry,
  },
  windsurf: {
    id: 'windsurf',
    label: 'Windsurf',
    format: 'json',
    containerKey: 'mcpServers',
    path: (scope, ctx) => (scope === 'user' ? join(ctx.home, '.codeium', 'windsurf', 'mcp_config.json') : null),
    entry: standardEntry,
  },
  opencode: {
    id: 'opencode',
    label: 'OpenCode',
    format: 'json',
    // OpenCode: `mcp` holds servers; a local one is a command array, not command + args.
    containerKey: 'mcp',
    path: (scope, ctx) =>
      scope === 'user'
        ? join(ctx.env.XDG_CONFIG_HOME ?? join(ctx.home, '.config'), 'opencode', 'opencode.json')
        : join(ctx.projectRoot, 'opencode.json'),
    entry: (s) => ({
      type: 'local',
      command: [s.command, ...s.args],
      enabled: true,
      ...(s.env ? { environment: s.env } : {}),
    }),
  },
};

/** Accepted spellings on the command line. */
const ALIASES: Record<string, EditorId> = {
  claude: 'claude-code',
  'claude-code': 'claude-code',
  claudecode: 'claude-code',
  'claude-desktop': 'claude-desktop',
  cursor: 'cursor',
  vscode: 'vscode',
  code: 'vscode',
  'vs-code': 'vscode',
  gemini: 'gemini',
  'gemini-cli': 'gemini',
  codex: 'codex',
  windsurf: 'windsurf',
  opencode: 'opencode',
};

export function resolveEditor(name: string): EditorTarget | undefined {
  const id = ALIASES[name.toLowerCase()];
  return id ? EDITORS[id] : undefined;
}

export const EDITOR_NAMES = Object.keys(EDITORS) as EditorId[];
