import { geminiHomeEnv, geminiIdentityFile, planGeminiHome } from './gemini-home';
import { GEMINI_DIALOGS, geminiAtPrompt, geminiPromptHasUnsentText } from './gemini-screen';
import type { AgentProfile } from './types';

/**
 * Gemini CLI (`@google/gemini-cli`, pinned 0.61.0). Facts measured with the real CLI
 * (docs/agents.md#gemini-cli, notes in the test fixtures):
 * - `-y/--yolo` accepts every action; without it each MCP tool call asks "Action Required".
 * - Its composer is drawn on the main screen below a rule (gemini-screen.ts); dialogs hide it.
 * - An Enter that arrives within 30 ms of typed keys, or soon after a paste (its paste protection
 *   clears only on a re-render, slow under load), becomes a newline: Enter goes 500 ms after the
 *   text; the injection queue presses it again while the text is still in the prompt (every profile).
 * - No per-run MCP flag, so each worker gets its own GEMINI_CLI_HOME (gemini-home.ts).
 * - It queues a prompt typed before its MCP servers are connected, and never runs a turn without them.
 * - `/quit` exits (exit 0); its Enter must come apart from the typed command, for the reason above,
 *   and a second one may be needed (the first can land on the slash-command menu). SIGTERM exits 0 too.
 * - Runs as root with no complaint.
 */
export const gemini: AgentProfile = {
  id: 'gemini',
  label: 'Gemini CLI',
  command: 'gemini',
  npm: { name: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
  args: ({ skipPermissions, model }) => [...(skipPermissions ? ['--yolo'] : []), ...(model ? ['--model', model] : [])],
  flags: { help: ['--yolo', '--model'] },
  // The second Enter: with the slash-command menu open, the first one can pick the suggestion instead.
  politeExit: ['/quit', '\r', '\r'],
  // It prints a session summary and stops its MCP servers first: 0.3 s idle, 3.4 s at load 22 (measured).
  politeExitMs: 5000,
  submit: { bracketedPaste: true, enterDelayMs: 500 },
  atPrompt: geminiAtPrompt,
  promptHasUnsentText: geminiPromptHasUnsentText,
  dialogs: GEMINI_DIALOGS,
  mcp: (server, worker) => planGeminiHome(worker, server),
  // The settings written with the MCP server name this file in context.fileName (same home).
  identity: (text, worker) => ({ env: geminiHomeEnv(worker), files: [geminiIdentityFile(worker, text)] }),
};
