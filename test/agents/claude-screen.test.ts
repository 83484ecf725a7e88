import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claude } from '../../server/agents/claude';
import type { ScreenText } from '../../server/agents';
import { evaluateScreen } from '../../server/spawn/agent-watch';

/**
 * Claude Code 2.1.197's recognisers against screens captured from the real CLI (tmux capture-pane of
 * a 120x32 terminal; fixtures/claude/*.txt): prompt, busy, unsent text and each first-run dialog.
 */

function screen(name: string): ScreenText {
  const lines = readFileSync(join(import.meta.dirname, 'fixtures', 'claude', `${name}.txt`), 'utf8').replace(/\n$/, '').split('\n');
  return { lines, cursor: { x: 0, y: 0 }, altScreen: false, bracketedPaste: true, cols: 120, rows: lines.length, offset: 0 };
}

describe('Claude Code screen recognisers', () => {
  it('an empty prompt, also after answers with a relay line and a finished spinner, is the prompt', () => {
    for (const name of ['prompt-empty', 'answered', 'relay-line']) {
      const s = evaluateScreen(claude, screen(name));
      expect(s, name).toMatchObject({ atPrompt: true, unsentText: false });
      expect(s.dialog, name).toBeUndefined();
    }
  });

  it('text typed and not sent is unsent text', () => {
    expect(evaluateScreen(claude, screen('prompt-unsent'))).toMatchObject({ atPrompt: true, unsentText: true });
    const s = screen('prompt-empty');
    const at = s.lines.findIndex((l) => l.startsWith('❯'));
    const multi = { ...s, lines: [...s.lines.slice(0, at), '❯ first line', '  second line', ...s.lines.slice(at + 1)] };
    expect(claude.promptHasUnsentText!(multi)).toBe(true);
  });

  it('faint placeholder text in an empty prompt is not unsent text; typed text is, faint or not around it', () => {
    const s = screen('prompt-empty');
    const at = s.lines.findIndex((l) => l.startsWith('❯'));
    const withRow = (plain: string, solid: string, x: number) => {
      const lines = [...s.lines];
      lines[at] = plain;
      const solidRows = [...s.lines];
      solidRows[at] = solid;
      return { ...s, lines, solid: solidRows, cursor: { x, y: at } };
    };
    // `Try "…"` drawn faint, the inverted cursor on its T (not faint).
    expect(claude.promptHasUnsentText!(withRow('❯ Try "fix the lint errors"', '❯ T', 2))).toBe(false);
    expect(claude.atPrompt!(withRow('❯ Try "fix the lint errors"', '❯ T', 2))).toBe(true);
    // A person's text: solid, cursor after it or back at its start.
    expect(claude.promptHasUnsentText!(withRow('❯ fix it', '❯ fix it', 8))).toBe(true);
    expect(claude.promptHasUnsentText!(withRow('❯ fix it', '❯ fix it', 2))).toBe(true);
    expect(claude.promptHasUnsentText!(withRow('❯ a', '❯ a', 2))).toBe(true);
  });

  it('a running turn (spinner above the box, "esc to interrupt") is not the prompt', () => {
    expect(evaluateScreen(claude, screen('busy'))).toMatchObject({ atPrompt: false });
  });

  it.each([
    ['bypass-permissions', /accept Bypass Permissions mode: answer in its terminal/],
    ['trust-folder', /trust this folder/],
    ['api-key', /ANTHROPIC_API_KEY from its environment/],
    ['no-connection', /cannot reach Anthropic/],
  ])('%s is a dialog with its reason, never the prompt', (name, reason) => {
    const s = evaluateScreen(claude, screen(name));
    expect(s.dialog?.id).toBe(name);
    expect(s.dialog?.reason).toMatch(reason);
    expect(s.atPrompt).toBe(false);
    expect(s.unsentText).toBe(false);
  });

  it('a dialog selector row (❯ 1. …) is not mistaken for the prompt', () => {
    const s = screen('bypass-permissions');
    expect(claude.atPrompt!(s)).toBe(false);
    expect(claude.promptHasUnsentText!(s)).toBe(false);
  });
});
