import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GEMINI_DIALOGS, geminiAtPrompt, geminiComposer, geminiPromptHasUnsentText } from '../../server/agents/gemini-screen';
import type { ScreenText } from '../../server/agents/types';

/**
 * Gemini CLI's screen recognisers against screens the real CLI (0.61.0) drew: each fixture is the
 * visible rows of a 100x30 @xterm/headless terminal fed by `gemini` in a PTY against the scripted
 * model (captured as described in docs/agents.md#gemini-cli). The real-CLI tests exercise the same
 * recognisers live.
 */

function screen(name: string): ScreenText {
  const lines = readFileSync(new URL(`./fixtures/gemini/${name}.txt`, import.meta.url), 'utf8').replace(/\n$/, '').split('\n');
  return { lines, cursor: { x: 0, y: 0 }, altScreen: false, bracketedPaste: true, cols: 100, rows: lines.length, offset: 0 };
}

const dialogOf = (s: ScreenText) => GEMINI_DIALOGS.filter((d) => d.matches(s)).map((d) => d.id);

describe('gemini screen: the prompt', () => {
  it('an empty prompt (placeholder) is at the prompt with nothing unsent', () => {
    for (const name of ['prompt-empty', 'prompt-yolo-no-truecolor', 'after-tool', 'prompt-empty-50cols']) {
      const s = screen(name);
      expect(geminiComposer(s)?.input, name).toEqual(['']);
      expect(geminiAtPrompt(s), name).toBe(true);
      expect(geminiPromptHasUnsentText(s), name).toBe(false);
      expect(dialogOf(s), name).toEqual([]);
    }
  });

  it('text typed into the prompt is unsent text, in either colour mode and prefix (> or YOLO *)', () => {
    expect(geminiComposer(screen('prompt-typed'))?.input).toEqual(['hello there']);
    expect(geminiPromptHasUnsentText(screen('prompt-typed'))).toBe(true);
    expect(geminiComposer(screen('prompt-yolo-no-truecolor-typed'))?.input).toEqual(['abc']);
    expect(geminiPromptHasUnsentText(screen('prompt-yolo-no-truecolor-typed'))).toBe(true);
    // Narrow: the mode row takes two rows, so the prompt sits four rows below the rule.
    expect(geminiComposer(screen('prompt-typed-72cols'))?.input).toEqual(['typed at 72']);
    expect(geminiAtPrompt(screen('prompt-typed-72cols'))).toBe(true);
  });

  it('a pasted multi-line message shows as every input row', () => {
    expect(geminiComposer(screen('prompt-multiline'))?.input).toEqual(['line one', 'line two']);
    expect(geminiPromptHasUnsentText(screen('prompt-multiline'))).toBe(true);
  });

  it('a running turn ("esc to cancel") is busy, not at the prompt, even with messages queued', () => {
    for (const name of ['busy', 'busy-queued']) {
      const s = screen(name);
      expect(geminiComposer(s)?.busy, name).toBe(true);
      expect(geminiAtPrompt(s), name).toBe(false);
      expect(geminiPromptHasUnsentText(s), name).toBe(false);
    }
  });

  it('the history\'s framed " > message" echoes are not taken for the prompt', () => {
    // answer-relay shows two submitted messages above the composer; the composer itself is empty.
    const s = screen('answer-relay');
    expect(s.lines.filter((l) => l.startsWith(' > ')).length).toBeGreaterThanOrEqual(2);
    expect(geminiComposer(s)?.input).toEqual(['']);
    expect(geminiAtPrompt(s)).toBe(true);
  });
});

describe('gemini screen: dialogs', () => {
  it.each([
    ['dialog-trust', 'trust-folder'],
    ['dialog-auth', 'auth-method'],
    ['dialog-api-key', 'api-key'],
    ['tool-approval', 'tool-approval'],
    // Captured in tmux (100x30) when a relayed message held "@/etc/hosts".
    ['dialog-outside-workspace', 'outside-workspace-read'],
  ])('%s is recognised as %s, with no composer and not at the prompt', (name, id) => {
    const s = screen(name);
    expect(dialogOf(s)).toEqual([id]);
    expect(geminiComposer(s)).toBeUndefined();
    expect(geminiAtPrompt(s)).toBe(false);
    expect(geminiPromptHasUnsentText(s)).toBe(false);
  });

  it('a dialog\'s words in the history while the composer is up are not a dialog', () => {
    const s = screen('prompt-empty');
    const quoted = { ...s, lines: ['✦ It said: Do you trust the files in this folder?', '  Action Required: Allow once', ...s.lines.slice(2)] };
    expect(dialogOf(quoted)).toEqual([]);
    expect(geminiAtPrompt(quoted)).toBe(true);
  });

  it('every dialog reason says where to answer', () => {
    for (const d of GEMINI_DIALOGS) expect(d.reason, d.id).toMatch(/terminal|environment|browser/);
  });
});
