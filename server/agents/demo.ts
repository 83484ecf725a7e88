import { fileURLToPath } from 'node:url';
import { cursorLine } from './screen-match';
import type { AgentProfile } from './types';

export const DEMO_AGENT_PATH = fileURLToPath(new URL('../spawn/demo-agent/demo-agent.mjs', import.meta.url));

/** The demo agent (server/spawn/demo-agent): a `> ` prompt on the cursor's row, "thinking…" while busy. */
export const demo: AgentProfile = {
  id: 'demo',
  label: 'Demo agent',
  command: process.execPath,
  args: () => [DEMO_AGENT_PATH],
  flags: { help: [] },
  politeExit: '/exit\r',
  submit: { bracketedPaste: false, enterDelayMs: 50 },
  atPrompt: (screen) => /^>( |$)/.test(cursorLine(screen)),
  promptHasUnsentText: (screen) => /^> \S/.test(cursorLine(screen)),
  dialogs: [],
};
