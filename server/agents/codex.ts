import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { AgentDialog, AgentProfile, LaunchAddition, McpServerSpec, ScreenText, WorkerContext } from './types';

/**
 * Codex (`@openai/codex`), as 0.171.0 behaves in a terminal (measured; docs/agents.md#codex):
 * - a full-screen TUI on the alternate screen with bracketed paste on;
 * - its input prompt (the "composer") is a row starting `› `, holding the dim placeholder
 *   `Ask Codex to do anything` while empty, with a footer below it; while a turn runs a status row
 *   `• Working (3s • esc to interrupt)` sits above it (Enter then would *steer* the running turn);
 * - a typed `\r` in the same write as the text is swallowed by its paste-burst detection, so a
 *   message is pasted (bracketed) and Enter follows; `/quit\r` in one write does nothing;
 * - first-run and blocking screens: folder trust (git repositories only), sign-in, update offer,
 *   approval requests — all answered by a person, never typed into.
 */

/** The placeholders Codex shows in an empty composer (dim; the cursor sits right after `› `). */
const PLACEHOLDERS = ['Ask Codex to do anything', 'Ask a follow-up question'];
const COMPOSER = '› ';
/** Shown in the status row while a turn (or MCP start-up within it) runs. */
const BUSY = /\besc to interrupt\b/;
/** A selection list's highlighted option (`› 1. Trust and continue`), not the composer. */
const OPTION_ROW = /^› \d+\. /;

const has = (screen: ScreenText, pattern: RegExp) => screen.lines.some((line) => pattern.test(line));

export const CODEX_DIALOGS: AgentDialog[] = [
  {
    id: 'trust-folder',
    reason:
      'Codex asks whether to trust this folder: answer in its terminal ("1. Trust and continue" is kept in ~/.codex/config.toml as [projects."<dir>"] trust_level = "trusted").',
    matches: (s) => has(s, /Trust this folder\?/),
  },
  {
    id: 'sign-in',
    reason:
      'Codex needs you to sign in (ChatGPT, device code or an API key): answer in its terminal, or run `codex login` first.',
    matches: (s) =>
      has(s, /Sign in with ChatGPT|Sign in with Device Code|Sign in another way|Paste or type your API key|Use your own OpenAI API key/),
  },
  {
    id: 'update',
    reason: 'Codex offers an update: choose in its terminal (2 skips it; Enter would run the update).',
    matches: (s) => has(s, /Update available/) && has(s, /Skip until next version/),
  },
  {
    id: 'approval',
    reason: 'Codex asks for approval: answer in its terminal.',
    matches: (s) =>
      has(s, /Would you like to (run the following command|make the following edits|grant these permissions|send input to the existing terminal)\?/) ||
      has(s, /Press enter to confirm or esc to cancel/),
  },
];

/** The composer: the last `› ` row that is not a highlighted option, with its continuation rows. */
export function codexComposer(screen: ScreenText): { row: number; text: string } | undefined {
  for (let row = screen.lines.length - 1; row >= 0; row--) {
    const line = screen.lines[row];
    if (!line.startsWith(COMPOSER) || OPTION_ROW.test(line)) continue;
    // Model output (`• …`) below it means this `› ` row is an old message in the history.
    if (screen.lines.slice(row + 1).some((l) => l.startsWith('• ') || l.startsWith('■ '))) return undefined;
    const parts = [line.slice(COMPOSER.length)];
    for (let next = row + 1; next < screen.lines.length && /^ {2}\S/.test(screen.lines[next]) && !isFooter(screen.lines[next]); next++) {
      parts.push(screen.lines[next].slice(2));
    }
    return { row, text: parts.join('\n').trimEnd() };
  }
  return undefined;
}

/** `  GPT-6.2-Sol default · /path` or `  ← for agents · ? for shortcuts`: the rows under the composer. */
function isFooter(line: string): boolean {
  return / · /.test(line) || /\? for shortcuts/.test(line);
}

function composerEmpty(screen: ScreenText, composer: { row: number; text: string }): boolean {
  if (composer.text === '') return true;
  // The placeholder and text that happens to read the same differ by the cursor: at the start for the placeholder.
  return PLACEHOLDERS.includes(composer.text) && screen.cursor.y === composer.row && screen.cursor.x === COMPOSER.length;
}

function activeDialog(screen: ScreenText): AgentDialog | undefined {
  return CODEX_DIALOGS.find((d) => d.matches(screen));
}

export function codexAtPrompt(screen: ScreenText): boolean {
  if (activeDialog(screen) || has(screen, BUSY)) return false;
  return codexComposer(screen) !== undefined;
}

export function codexPromptHasUnsentText(screen: ScreenText): boolean {
  const composer = codexComposer(screen);
  return composer !== undefined && !composerEmpty(screen, composer);
}

/** TOML for `-c key=value` (a JSON string is a valid TOML basic string; arrays and inline tables likewise). */
export function tomlValue(value: string | string[] | Record<string, string>): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(',')}]`;
  return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(',')}}`;
}

const MCP_KEY = 'mcp_servers.agent-relay';

/** Codex takes MCP servers for one run as `-c` overrides; nothing is written. */
export function codexMcpArgs(server: McpServerSpec): string[] {
  return [
    '-c', `${MCP_KEY}.command=${tomlValue(server.command)}`,
    '-c', `${MCP_KEY}.args=${tomlValue(server.args)}`,
    '-c', `${MCP_KEY}.env=${tomlValue(server.env)}`,
    // The default 10 s is tight for a Node server on a loaded machine; a timed-out server has no tools for the whole run.
    '-c', `${MCP_KEY}.startup_timeout_sec=30`,
  ];
}

/**
 * The user's own top-level `developer_instructions`, which our `-c developer_instructions=…` would
 * otherwise replace (a `-c` override wins over config.toml). Unreadable or absent: none.
 */
export function userDeveloperInstructions(env: Record<string, string | undefined>): string | undefined {
  const home = env.CODEX_HOME ?? (env.HOME ? join(env.HOME, '.codex') : undefined);
  if (!home) return undefined;
  try {
    const config = parseToml(readFileSync(join(home, 'config.toml'), 'utf8')) as { developer_instructions?: unknown };
    return typeof config.developer_instructions === 'string' && config.developer_instructions.trim() ? config.developer_instructions : undefined;
  } catch {
    return undefined;
  }
}

/** Codex adds `developer_instructions` as a developer message after its own prompt (seen in its requests). */
export function codexIdentityArgs(text: string, worker: Pick<WorkerContext, 'env'>): LaunchAddition {
  const own = userDeveloperInstructions(worker.env);
  return { args: ['-c', `developer_instructions=${tomlValue(own ? `${own}\n\n${text}` : text)}`] };
}

export const codexProfile: AgentProfile = {
  id: 'codex',
  label: 'Codex',
  command: 'codex',
  npm: { name: '@openai/codex', version: '0.171.0', bin: 'codex' },
  // --no-daemon: without it Codex copies its 400 MB binary into ~/.codex/packages and starts a shared
  // `codex app-server` daemon in its own session that outlives the worker (and that other Codex
  // sessions of the user would share, so releasing the worker must not be what ends it).
  args: ({ skipPermissions, model }) => [
    '--no-daemon',
    ...(skipPermissions ? ['--dangerously-bypass-approvals-and-sandbox'] : []),
    ...(model ? ['--model', model] : []),
  ],
  flags: { help: ['--no-daemon', '--dangerously-bypass-approvals-and-sandbox', '--model', '--config'] },
  // Two Ctrl-C: the first clears a half-typed prompt (or interrupts a turn), the second quits (exit 0).
  // A pasted `/quit` would be appended to text a person left in the prompt and sent as a message.
  politeExit: '\x03\x03',
  // It shuts down its MCP servers first (ours is a Node process that may itself still be starting):
  // 60 ms on a quiet machine, and over the 2 s default once in a CI run (released by SIGTERM then).
  politeExitMs: 5000,
  // Once more after 1.5 s if its prompt is still there: a fresh-clone CI run saw Codex still running
  // 5 s after the two Ctrl-C (SIGTERM then); it quits in 0.05-0.4 s when they are read.
  politeExitRetryMs: 1500,
  submit: { bracketedPaste: true, enterDelayMs: 50 },
  atPrompt: codexAtPrompt,
  promptHasUnsentText: codexPromptHasUnsentText,
  dialogs: CODEX_DIALOGS,
  mcp: (server) => ({ args: codexMcpArgs(server) }),
  identity: (text, worker) => codexIdentityArgs(text, worker),
};
