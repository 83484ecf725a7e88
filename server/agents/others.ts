import type { AgentProfile } from './types';

/** Presets whose CLIs we do not pin or test here (not installable from npm in this environment). */

export const cursor: AgentProfile = {
  id: 'cursor',
  label: 'Cursor Agent',
  command: 'cursor-agent',
  args: ({ skipPermissions, model }) => [...(skipPermissions ? ['--force'] : []), ...(model ? ['--model', model] : [])],
  flags: { help: ['--force', '--model'] },
  submit: { bracketedPaste: false, enterDelayMs: 50 },
  dialogs: [],
};

export const opencode: AgentProfile = {
  id: 'opencode',
  label: 'OpenCode',
  command: 'opencode',
  args: ({ model }) => (model ? ['--model', model] : []),
  flags: { help: ['--model'] },
  submit: { bracketedPaste: false, enterDelayMs: 50 },
  dialogs: [],
};
