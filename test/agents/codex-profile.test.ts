import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import {
  codexAtPrompt,
  codexComposer,
  codexIdentityArgs,
  codexMcpArgs,
  codexProfile,
  codexPromptHasUnsentText,
  CODEX_DIALOGS,
} from '../../server/agents/codex';
import type { ScreenText } from '../../server/agents/types';

/**
 * The codex profile's recognisers against screens the real Codex CLI (0.171.0) drew: each fixture is
 * `cursor X Y` then the visible rows of a 100x30 HeadlessScreen (readText) fed by `codex --no-daemon`
 * in a PTY against the scripted model (captured as docs/agents.md#codex describes). codex-real.test.ts
 * checks the same recognisers live.
 */

function fixture(name: string): ScreenText {
  const [head, ...lines] = readFileSync(new URL(`./fixtures/codex/${name}.txt`, import.meta.url), 'utf8').replace(/\n$/, '').split('\n');
  const [, x, y] = /^cursor (\d+) (\d+)$/.exec(head)!;
  return { lines, cursor: { x: Number(x), y: Number(y) }, altScreen: true, bracketedPaste: true, cols: 100, rows: lines.length, offset: 1 };
}

const empty = fixture('prompt-empty');
const yolo = fixture('yolo-empty');
const typed = fixture('prompt-typed');
const multi = fixture('prompt-multiline');
const afterTurn = fixture('after-turn');
const relayAnswer = fixture('answer-relay');
const busy = fixture('busy');
const trust = fixture('dialog-trust');
const signIn = fixture('dialog-sign-in');
const apiKey = fixture('dialog-sign-in-api-key');
const update = fixture('dialog-update');
const approval = fixture('approval');

const dialogOf = (s: ScreenText) => CODEX_DIALOGS.find((d) => d.matches(s))?.id;

describe('codex profile: prompt recognisers', () => {
  it('an empty composer is a prompt with nothing unsent', () => {
    expect(codexAtPrompt(empty)).toBe(true);
    expect(codexPromptHasUnsentText(empty)).toBe(false);
    for (const s of [yolo, afterTurn, relayAnswer]) {
      expect(codexAtPrompt(s)).toBe(true);
      expect(codexPromptHasUnsentText(s)).toBe(false);
    }
  });

  it('text in the composer is unsent text, one or several rows', () => {
    expect(codexPromptHasUnsentText(typed)).toBe(true);
    expect(codexComposer(typed)?.text).toBe('half typed');
    expect(codexComposer(multi)?.text).toBe('line one\nline two\nline three');
    expect(codexPromptHasUnsentText(multi)).toBe(true);
  });

  it('someone who typed the placeholder words has unsent text (the cursor is after them)', () => {
    const same: ScreenText = { ...empty, cursor: { x: 2 + 'Ask Codex to do anything'.length, y: empty.cursor.y } };
    expect(codexPromptHasUnsentText(same)).toBe(true);
  });

  it('a running turn is not a prompt (Enter would steer the turn)', () => {
    expect(codexAtPrompt(busy)).toBe(false);
  });

  it('every first-run or blocking screen is a dialog, not a prompt', () => {
    expect(dialogOf(trust)).toBe('trust-folder');
    expect(dialogOf(signIn)).toBe('sign-in');
    expect(dialogOf(apiKey)).toBe('sign-in');
    expect(dialogOf(update)).toBe('update');
    expect(dialogOf(approval)).toBe('approval');
    for (const s of [trust, signIn, apiKey, update, approval]) expect(codexAtPrompt(s)).toBe(false);
    for (const s of [empty, yolo, typed, multi, afterTurn, relayAnswer, busy]) expect(dialogOf(s)).toBeUndefined();
  });
});

describe('codex profile: launch', () => {
  it('skips permission prompts with the current flag, always without the shared daemon', () => {
    expect(codexProfile.args({ skipPermissions: true })).toEqual(['--no-daemon', '--dangerously-bypass-approvals-and-sandbox']);
    expect(codexProfile.args({ skipPermissions: false, model: 'gpt-x' })).toEqual(['--no-daemon', '--model', 'gpt-x']);
    expect(codexProfile.args({ skipPermissions: true })).not.toContain('--full-auto');
  });

  it('hands over the MCP server as TOML -c overrides Codex parses back to the same values', () => {
    const args = codexMcpArgs({ command: '/usr/bin/node', args: ['/x/agent-relay.js', 'mcp', 'serve'], env: { RELAY_AGENT_NAME: 'Cx', 'ODD KEY': 'a"b\\c' } });
    const overrides = args.filter((_, i) => i % 2 === 1);
    expect(args.filter((_, i) => i % 2 === 0).every((a) => a === '-c')).toBe(true);
    const parsed = parseToml(overrides.map((o) => o.replace(/^mcp_servers\.agent-relay\./, '')).join('\n')) as Record<string, unknown>;
    expect(parsed).toEqual({
      command: '/usr/bin/node',
      args: ['/x/agent-relay.js', 'mcp', 'serve'],
      env: { RELAY_AGENT_NAME: 'Cx', 'ODD KEY': 'a"b\\c' },
      startup_timeout_sec: 30,
    });
  });

  it('gives the identity as developer_instructions, keeping the user\'s own', () => {
    const home = mkdtempSync(join(tmpdir(), 'codex-home-'));
    try {
      const text = 'You are "Cx" on agent-relay.\nPeers: Bob.';
      const [flag, value] = codexIdentityArgs(text, { env: { HOME: home } }).args!;
      expect(flag).toBe('-c');
      expect(parseToml(value)).toEqual({ developer_instructions: text });
      mkdirSync(join(home, '.codex'));
      writeFileSync(join(home, '.codex', 'config.toml'), 'developer_instructions = "Always answer in French."\n');
      const [, combined] = codexIdentityArgs(text, { env: { HOME: home } }).args!;
      expect(parseToml(combined)).toEqual({ developer_instructions: `Always answer in French.\n\n${text}` });
      // CODEX_HOME wins over HOME, as in Codex.
      const [, other] = codexIdentityArgs(text, { env: { HOME: home, CODEX_HOME: join(home, 'none') } }).args!;
      expect(parseToml(other)).toEqual({ developer_instructions: text });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
