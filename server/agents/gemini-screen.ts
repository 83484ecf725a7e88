import type { AgentDialog, ScreenText } from './types';

/**
 * Reading Gemini CLI's rendered screen (pinned 0.61.0; measured, docs/agents.md#gemini-cli).
 * Its composer sits at the bottom of the main screen (no alternate screen):
 *
 *    ⠧ Thinking... (esc to cancel, 1s)                     ? for shortcuts   <- status row (busy)
 *   ────────────────────────────────────────────────────────────────────    <- rule
 *    Shift+Tab to accept edits              1 GEMINI.md file · 1 MCP server  <- mode row
 *   ▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄▄    <- only with true colour
 *    >   Type your message or @path/to/file                                  <- empty prompt
 *   ▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀
 *    workspace (/directory)          sandbox                      /model     <- footer
 *
 * The prompt's prefix is `>`, `*` in YOLO mode, `!` in shell mode, `(r:)` in reverse search; typed
 * text replaces the placeholder (` > hello`), further input rows are indented three spaces. A
 * submitted message is echoed in the history in the same framed ` > text` form, which is why the
 * prompt is the prefixed row right below the last rule, never just any ` > ` row. While a dialog
 * (trust, sign-in, API key, tool approval) is up the composer is not drawn at all.
 */

const RULE = /^─{20,}$/;
const PROMPT = /^ (>|\*|!|\(r:\)) (.*)$/;
const PLACEHOLDERS = ['Type your message or @path/to/file', 'Type your shell command', "Press 'Esc' for NORMAL mode.", "Press 'i' for INSERT mode."];
const HALF_BLOCKS = /^[▄▀]+$/;
/** Rows from the rule to the prompt: 2-3 at 100 columns, 4 at 72 and 50 (measured), slack for more. */
const MAX_ROWS_TO_PROMPT = 6;

export interface GeminiComposer {
  /** Row of the rule above the composer. */
  rule: number;
  /** Row of the prompt (the prefixed input row). */
  prompt: number;
  /** The input rows' text, prefix and indentation taken off; [''] for an empty prompt. */
  input: string[];
  /** The status row above the rule says a turn is running ("esc to cancel"). */
  busy: boolean;
}

/** The composer at the bottom of the screen, or undefined when none is drawn (a dialog, start-up). */
export function geminiComposer(screen: ScreenText): GeminiComposer | undefined {
  // The composer paints its background with spaces, which the screen text keeps: trim them here.
  const lines = screen.lines.map((l) => l.trimEnd());
  let rule = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (RULE.test(lines[i])) {
      rule = i;
      break;
    }
  }
  if (rule < 0) return undefined;
  // The mode row (two rows when narrow: "YOLO Ctrl+Y", then "1 GEMINI.md file · 1 MCP server"), the
  // half-block frame's top when colours allow it, then the prompt.
  let prompt = -1;
  for (let i = rule + 1; i <= Math.min(rule + MAX_ROWS_TO_PROMPT, lines.length - 1); i++) {
    if (PROMPT.test(lines[i])) {
      prompt = i;
      break;
    }
  }
  if (prompt < 0) return undefined;
  const first = PROMPT.exec(lines[prompt])?.[2] ?? '';
  const input = [PLACEHOLDERS.some((p) => first === `  ${p}`) ? '' : first];
  for (let i = prompt + 1; i < lines.length; i++) {
    const row = lines[i];
    if (!row.startsWith('   ') || row.trim() === '' || HALF_BLOCKS.test(row.trim())) break;
    input.push(row.slice(3));
  }
  let busy = false;
  for (let i = Math.max(0, rule - 3); i < rule; i++) if (lines[i].includes('esc to cancel')) busy = true;
  return { rule, prompt, input, busy };
}

/**
 * A dialog's words on screen while no composer is drawn: Gemini hides the composer for every dialog,
 * so the same words in the history (a model quoting them) never count.
 */
const dialogShows = (screen: ScreenText, ...fragments: Array<string | RegExp>): boolean => {
  const text = screen.lines.join('\n');
  return fragments.every((f) => (typeof f === 'string' ? text.includes(f) : f.test(text))) && !geminiComposer(screen);
};

export const GEMINI_DIALOGS: AgentDialog[] = [
  {
    id: 'trust-folder',
    reason:
      'Gemini CLI asks whether you trust this folder: answer in its terminal ("1. Trust folder" keeps the answer in ~/.gemini/trustedFolders.json). ' +
      'Until the folder is trusted Gemini CLI loads no MCP servers, so the relay tools are missing.',
    matches: (s) => dialogShows(s, 'Do you trust the files in this folder?'),
  },
  {
    id: 'auth-method',
    reason:
      'Gemini CLI asks how to sign in: answer in its terminal, or run `gemini` once yourself so the choice is kept in ~/.gemini/settings.json ' +
      '(security.auth.selectedType; with GEMINI_API_KEY set, choose "Use Gemini API Key").',
    matches: (s) => dialogShows(s, 'How would you like to authenticate for this project?'),
  },
  {
    id: 'api-key',
    reason: 'Gemini CLI asks for a Gemini API key: enter it in its terminal, or set GEMINI_API_KEY in the relay\'s (or this spawn\'s) environment.',
    matches: (s) => dialogShows(s, 'Enter Gemini API Key'),
  },
  {
    id: 'sign-in',
    reason: 'Gemini CLI waits for you to finish signing in with Google in a browser.',
    matches: (s) => dialogShows(s, 'Waiting for authentication...'),
  },
  {
    id: 'tool-approval',
    reason:
      'Gemini CLI asks you to approve a tool call: answer in its terminal (spawn it with "Skip permission prompts" on to run with --yolo).',
    matches: (s) => dialogShows(s, 'Action Required', /Allow once|Allow execution of/),
  },
  {
    id: 'outside-workspace-read',
    reason:
      'Gemini CLI asks whether it may read a file outside its workspace (an @path in the text it was given): answer in its terminal.',
    matches: (s) => dialogShows(s, 'The following files are outside your workspace', 'Do you want to allow this read?'),
  },
  {
    id: 'loop-detected',
    reason: 'Gemini CLI stopped a turn it thinks is looping and asks what to do: answer in its terminal.',
    matches: (s) => dialogShows(s, 'A potential loop was detected'),
  },
  {
    id: 'policies',
    reason: 'Gemini CLI asks whether to load new policy files: answer in its terminal.',
    matches: (s) => dialogShows(s, 'Do you want to accept and load these policies?'),
  },
];

/** At its empty prompt, not busy, no dialog: what is typed now is read as a message. */
export function geminiAtPrompt(screen: ScreenText): boolean {
  if (GEMINI_DIALOGS.some((d) => d.matches(screen))) return false;
  const composer = geminiComposer(screen);
  return composer !== undefined && !composer.busy;
}

/** The prompt holds text nobody submitted. */
export function geminiPromptHasUnsentText(screen: ScreenText): boolean {
  const composer = geminiComposer(screen);
  return composer !== undefined && composer.input.some((l) => l.trim() !== '');
}
