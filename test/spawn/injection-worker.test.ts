import { afterEach, describe, expect, it } from 'vitest';
import { TYPING_QUIET_MS } from '../../server/relay-commands/readiness';
import { exitOf, makeFixture, outputText, waitFor, type SpawnFixture } from './helpers';

/** Injection into real PTYs: a person typing, hold / flush / auto, and what needs attention. */

let fx: SpawnFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BASH = { cli: 'bash', args: ['--norc', '--noprofile'], env: { PS1: '$ ' } };

async function quietBash(name: string) {
  const m = fx!.manager;
  await m.spawn({ name, ...BASH });
  await waitFor(() => m.getWorker(name)?.status === 'idle', 15_000, `${name} idle at its prompt`);
  return m;
}

const statusOf = (name: string) => fx!.router.queryMessages({ to: name, order: 'asc', limit: 50 }).map((x) => `${x.body}:${x.status}`);

describe('injection into a worker', () => {
  it('a message that arrives while a person types waits until they pause, then is typed after their line', async () => {
    fx = makeFixture();
    const m = await quietBash('w');
    // The person types a command slowly, one key every 250 ms, and finishes it with Enter.
    const keys = [...'echo PERSON-$((6*7))', '\r'];
    let sent = false;
    let lastKeyAt = 0;
    for (const [i, key] of keys.entries()) {
      m.sendWorkerInput('w', key);
      lastKeyAt = Date.now();
      if (i === 2) {
        fx.router.sendAs('Tester', 'w', 'echo MSG-$((40+2))');
        sent = true;
      }
      await sleep(250);
    }
    expect(sent).toBe(true);
    // Still inside the person's pause window: nothing typed, and the wait is visible with its reason.
    const info = m.getWorker('w')!;
    expect(info.injection).toMatchObject({ mode: 'auto', pending: 1, held: 0, waiting: { code: 'typing' } });
    expect(info.injection!.waiting!.reason).toMatch(/typing/);
    expect(await outputText(m, 'w')).not.toContain('Relay message');
    expect(statusOf('w')).toEqual(['echo MSG-$((40+2)):delivered']);
    // Lower bound only (a loaded machine can only make it later): not before the pause has passed.
    const checkAt = lastKeyAt + TYPING_QUIET_MS - 500;
    if (Date.now() < checkAt) await sleep(checkAt - Date.now());
    expect(await outputText(m, 'w')).not.toContain('Relay message');

    await waitFor(() => statusOf('w')[0]?.endsWith(':acked'), 15_000, 'the message typed and acknowledged');
    const out = await outputText(m, 'w');
    // The person's line ran whole and first; the message came after it, on its own line.
    expect(out).toContain('PERSON-42');
    expect(out.indexOf('PERSON-42')).toBeLessThan(out.indexOf('Relay message from Tester'));
    expect(out).toMatch(/\$ Relay message from Tester \[[^\]]{8}\]: echo MSG-\$\(\(40\+2\)\)/);
    expect(m.getWorker('w')!.injection).toEqual({ mode: 'auto', pending: 0, held: 0 });
  }, 40_000);

  it('a message stored before the worker runs is typed once it does (attaching delivers it at once)', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 'early', ...BASH });
    fx.router.sendAs('Tester', 'early', 'echo EARLY-$((1+1))');
    await waitFor(() => statusOf('early')[0]?.endsWith(':acked'), 15_000, 'the early message typed and acknowledged');
    expect(await outputText(m, 'early')).toMatch(/Relay message from Tester \[[^\]]{8}\]: echo EARLY-/);
  }, 30_000);

  it('what the viewer\'s terminal answers on its own (cursor reports, focus) is not a person typing', async () => {
    fx = makeFixture();
    const m = await quietBash('r');
    // Replies xterm.js sends by itself; bash ignores them at its prompt only partly, so send them once.
    m.sendWorkerInput('r', '\x1b[I');
    fx.router.sendAs('Tester', 'r', 'hello');
    await waitFor(() => statusOf('r')[0]?.endsWith(':acked'), 5_000, 'typed at once, not after a typing pause');
  }, 30_000);

  it('hold keeps messages queued in order and unacknowledged; flush types them one at a time; auto resumes', async () => {
    fx = makeFixture();
    const m = await quietBash('h');
    expect(m.setInjectMode('h', 'hold')).toMatchObject({ injection: { mode: 'hold', pending: 0, held: 0 }, flushed: 0 });
    for (const n of [1, 2, 3]) fx.router.sendAs('Tester', 'h', `echo HELD-${n}`);
    await waitFor(() => m.getWorker('h')?.injection?.held === 3, 5_000, 'three held');
    await sleep(1500);
    expect(await outputText(m, 'h')).not.toContain('HELD-');
    expect(m.getWorker('h')!.injection).toMatchObject({ mode: 'hold', pending: 3, held: 3, waiting: { code: 'held' } });
    expect(statusOf('h')).toEqual(['echo HELD-1:delivered', 'echo HELD-2:delivered', 'echo HELD-3:delivered']);

    expect(m.setInjectMode('h', 'flush').flushed).toBe(3);
    await waitFor(() => statusOf('h').every((s) => s.endsWith(':acked')), 20_000, 'all three typed and acknowledged');
    // The ACK follows the Enter we wrote; the terminal's echo of that Enter comes a moment later.
    await waitFor(async () => /: echo HELD-3\r?\n/.test(await outputText(m, 'h')), 10_000, 'the last Enter echoed');
    const out = await outputText(m, 'h');
    const at = [1, 2, 3].map((n) => out.indexOf(`: echo HELD-${n}`));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // One at a time: each message is its own command line, never two run together.
    for (const n of [1, 2, 3]) expect(out, JSON.stringify(out)).toMatch(new RegExp(`\\$ Relay message from Tester \\[[^\\]]{8}\\]: echo HELD-${n}\\r?\\n`));

    // The flush released what was held then; a new message waits again until auto.
    fx.router.sendAs('Tester', 'h', 'echo LATER');
    await waitFor(() => m.getWorker('h')?.injection?.held === 1, 5_000, 'the new one held');
    expect(m.getWorker('h')!.injection!.mode).toBe('hold');
    m.setInjectMode('h', 'auto');
    await waitFor(() => statusOf('h').at(-1) === 'echo LATER:acked', 15_000, 'typed after auto');
    expect(m.getWorker('h')!.injection).toEqual({ mode: 'auto', pending: 0, held: 0 });
  }, 60_000);

  it('a held message whose worker exits stays stored, unacknowledged, not lost', async () => {
    fx = makeFixture();
    const m = await quietBash('x');
    m.setInjectMode('x', 'hold');
    fx.router.sendAs('Tester', 'x', 'keep me');
    await waitFor(() => m.getWorker('x')?.injection?.held === 1, 5_000, 'held');
    await m.release('x');
    const exited = await exitOf(m, 'x');
    expect(exited.injection).toBeUndefined();
    expect(statusOf('x')).toEqual(['keep me:delivered']);
    expect(() => m.setInjectMode('x', 'flush')).toThrow(/has exited/);
  }, 30_000);
});

describe('needs attention', () => {
  it('a quiet shell at its prompt is idle, not waiting for a person', async () => {
    fx = makeFixture();
    const m = await quietBash('q');
    const info = m.getWorker('q')!;
    expect(info.status).toBe('idle');
    expect(info.needsAttention).toBeFalsy();
    expect(info.attentionReason).toBeUndefined();
  }, 30_000);

  it('a release is a deliberate end, not a failure; an abnormal exit needs attention with its reason; exit 0 does not', async () => {
    fx = makeFixture();
    const m = await quietBash('rel');
    await m.release('rel');
    const released = await exitOf(m, 'rel');
    expect(released).toMatchObject({ status: 'exited', released: true });
    expect(released.needsAttention).toBeFalsy();

    await m.spawn({ name: 'bad', cli: 'bash', args: ['-c', 'exit 3'] });
    const bad = await exitOf(m, 'bad');
    expect(bad).toMatchObject({ exitCode: 3, needsAttention: true, attentionReason: 'It exited with code 3.' });
    expect(bad.released).toBeUndefined();

    await m.spawn({ name: 'ok', cli: 'bash', args: ['-c', 'exit 0'] });
    const ok = await exitOf(m, 'ok');
    expect(ok.exitCode).toBe(0);
    expect(ok.needsAttention).toBeFalsy();
  }, 40_000);
});
