import { join } from 'node:path';
import { showsAll } from './screen-match';
import type { AgentDialog, AgentProfile, ScreenText } from './types';

/**
 * Claude Code (`@anthropic-ai/claude-code`, pinned 2.1.197). Facts measured with the real CLI
 * (docs/agents.md#claude-code): its input box is a `❯ ` row between two horizontal rules; while a
 * turn runs a spinner row (`✽ Shenaniganing…`) sits above the box and the status row may say "esc
 * to interrupt"; first-run screens are full-width dialogs with a `❯ 1. …` selector.
 */

const RULE = /^─{20,}$/;
/** Its spinner glyphs, then a gerund with an ellipsis: "✶ Shenaniganing…", "· Thinking… (3s)". */
const SPINNER = /^[·✢✳✶✻✽*]\s+\S.*…/;

interface PromptBox {
  top: number;
  bottom: number;
  /** Input rows, the `❯ ` taken off the first. */
  input: string[];
}

/** The input box: a rule, a row starting with `❯`, maybe more input rows, a rule. */
function promptBox(screen: ScreenText): PromptBox | undefined {
  const { lines } = screen;
  for (let i = lines.length - 1; i > 0; i--) {
    if (!/^❯(\s|$)/.test(lines[i]) || !RULE.test(lines[i - 1])) continue;
    let bottom = i + 1;
    while (bottom < lines.length && !RULE.test(lines[bottom])) bottom++;
    if (bottom >= lines.length) return undefined;
    const input = lines.slice(i, bottom).map((l, k) => (k === 0 ? l.replace(/^❯\s?/, '') : l.replace(/^\s{2}/, '')));
    return { top: i - 1, bottom, input };
  }
  return undefined;
}

function busy(screen: ScreenText, box: PromptBox): boolean {
  // The spinner row is just above the box (a blank row between); "esc to interrupt" in the status row below.
  for (let i = Math.max(0, box.top - 3); i < box.top; i++) if (SPINNER.test(screen.lines[i])) return true;
  return screen.lines.slice(box.bottom + 1).some((l) => l.includes('esc to interrupt'));
}

const dialogs: AgentDialog[] = [
  {
    id: 'bypass-permissions',
    reason:
      'Claude Code asks you to accept Bypass Permissions mode: answer in its terminal ("2. Yes, I accept"; its default answer exits). ' +
      'It asks once per user (~/.claude/settings.json skipDangerousModePermissionPrompt).',
    matches: (s) => showsAll(s, 'Bypass Permissions mode', 'Yes, I accept'),
  },
  {
    id: 'trust-folder',
    reason: 'Claude Code asks whether you trust this folder: answer in its terminal.',
    matches: (s) => showsAll(s, 'Yes, I trust this folder'),
  },
  {
    id: 'api-key',
    reason: 'Claude Code asks whether to use the ANTHROPIC_API_KEY from its environment: answer in its terminal.',
    matches: (s) => showsAll(s, 'Detected a custom API key', 'Do you want to use this API key?'),
  },
  {
    id: 'onboarding',
    reason: 'Claude Code shows its first-run setup: complete it in its terminal (or run `claude` once yourself).',
    matches: (s) => showsAll(s, /Choose the text style|Let's get started|Select login method/),
  },
  {
    id: 'no-connection',
    reason:
      'Claude Code cannot reach Anthropic during its first-run setup: check the network, or finish `claude` once in a terminal ' +
      '(hasCompletedOnboarding in ~/.claude.json).',
    matches: (s) => showsAll(s, 'Unable to connect to Anthropic services'),
  },
];

export const claude: AgentProfile = {
  id: 'claude',
  label: 'Claude Code',
  command: 'claude',
  npm: { name: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude' },
  args: ({ skipPermissions, model }) => [...(skipPermissions ? ['--dangerously-skip-permissions'] : []), ...(model ? ['--model', model] : [])],
  flags: { help: ['--dangerously-skip-permissions', '--model', '--mcp-config', '--append-system-prompt'] },
  refuse({ skipPermissions, env, uid }) {
    if (!skipPermissions || uid !== 0 || env.IS_SANDBOX === '1') return undefined;
    return (
      'Claude Code refuses --dangerously-skip-permissions (the "Skip permission prompts" option) as root. ' +
      'In a container or sandbox set IS_SANDBOX=1 (in the relay\'s environment or in this spawn\'s env); ' +
      'otherwise run the relay as a non-root user, or turn off "Skip permission prompts" (interactive) so Claude Code asks before acting.'
    );
  },
  politeExit: '/exit\r',
  submit: { bracketedPaste: true, enterDelayMs: 150 },
  atPrompt(screen) {
    if (dialogs.some((d) => d.matches(screen))) return false;
    const box = promptBox(screen);
    return box !== undefined && !busy(screen, box);
  },
  promptHasUnsentText(screen) {
    const box = promptBox(screen);
    if (!box) return false;
    if (!screen.solid) return box.input.some((l) => l.trim() !== '');
    // Claude Code shows faint placeholder text in an empty prompt (`Try "…"`), its own inverted
    // cursor on the first letter: what is typed is never faint. The cursor cell counts as empty
    // only when faint text follows it (so a single typed letter is still unsent).
    const first = box.top + 1;
    for (let y = first; y < box.bottom; y++) {
      let row = screen.solid[y] ?? '';
      if (y === screen.cursor.y && y === first && screen.cursor.x === 2) {
        const after = (screen.lines[y] ?? '').slice(3).trim() !== '' && row.slice(3).trim() === '';
        if (after) row = row.slice(0, 2);
      }
      if (row.replace(y === first ? /^❯\s?/ : /^\s{2}/, '').trim() !== '') return true;
    }
    return false;
  },
  dialogs,
  mcp(server, worker) {
    const config = { mcpServers: { 'agent-relay': { type: 'stdio', ...server } } };
    const path = join(worker.dataDir, 'mcp', `${worker.name}.json`);
    return { args: ['--mcp-config', path], files: [{ path, content: `${JSON.stringify(config, null, 2)}\n` }] };
  },
  identity: (text) => ({ args: ['--append-system-prompt', text] }),
};
