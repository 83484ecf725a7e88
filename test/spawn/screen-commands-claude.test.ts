import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecording, replay, resplit } from './screen-detect';

// Bytes recorded from the real Claude Code 2.1.197 in a PTY against a scripted model (see
// fixtures/claude-code/README.md), replayed through the screen detector with the recording's own
// clock. Each command the model wrote must come out exactly once, however Claude Code repainted,
// reprinted on resize, or streamed it.

const fixture = (name: string) => loadRecording(join(import.meta.dirname, 'fixtures', 'claude-code', `${name}.jsonl`));
const msg = (to: string, body: string, thread?: string) => ({ type: 'message', to, body, ...(thread ? { thread } : {}) });
// Claude Code shows `>>>` outside a code fence as an empty quote, so that block never closes; a
// short open-block limit lets the replay see that later commands are not swallowed by it.
const options = { openBlockMs: 2000 };

const expected: Record<string, unknown[]> = {
  'claude-basic': [
    msg('Bob', 'hello-via-output'),
    msg('Bob', 'first one'), msg('Ann', 'second one'), msg('*', 'third to all'), msg('Bob', 'fourth threaded', 't-9'),
    { type: 'spawn', name: 'Worker1', cli: 'claude', task: 'fix the tests' }, { type: 'release', name: 'Worker1' }, { type: 'relay-file', id: 'msg-7' },
    // (prose "I could write ->relay:Bob hi but will not." and "1. ->relay:Ann numbered" are not commands)
    msg('Bob', 'in a list item'), msg('Bob', 'bold'), msg('Bob', 'code'), msg('Bob', 'quoted'),
    // the same line twice in one answer is sent twice
    msg('Bob', 'same again'), msg('Bob', 'same again'),
    msg('Bob', 'hello again'),
  ],
  'claude-wrap-resize': [
    msg('Bob', 'this is a long message that goes on and on so that the terminal has to wrap it across several rows of the screen, with words, numbers 12345 and punctuation; it ends here: END'),
    msg('Bob', `${Array.from({ length: 20 }, (_, i) => `w${String(i).padStart(3, '0')}`).join(' ')} xxxxxx tail words here`),
    msg('Bob', 'line one\n  indented two'),
    msg('Bob', 'while resizing'),
    msg('Ann', 'after the resizes'),
  ],
  'claude-stream': [
    msg('Bob', 'streamed in small pieces here'),
    msg('Bob', 'hello after a pause'),
    ...[29, 59, 89, 119, 149].map((n) => msg('Ann', `line ${n} of many`)),
  ],
};

describe('relay commands from the real Claude Code screen', () => {
  for (const [name, commands] of Object.entries(expected)) {
    it(`${name}: every command once, in order`, async () => {
      const recording = fixture(name);
      expect(recording.meta.cli).toBe('claude-code 2.1.197');
      expect((await replay(recording, options)).map((f) => f.command)).toEqual(commands);
    });

    it(`${name}: the same however the reads were cut`, async () => {
      const recording = fixture(name);
      for (const how of ['halves', 'batches'] as const) {
        expect((await replay(resplit(recording, how), options)).map((f) => f.command)).toEqual(commands);
      }
    });
  }

  it('a command is acted on soon after Claude Code draws it, not only at the end', async () => {
    const found = await replay(fixture('claude-stream'), options);
    const drawnAt = (text: string) => {
      const recording = fixture('claude-stream');
      for (let i = 0, seen = ''; i < recording.events.length; i++) {
        seen += recording.events[i].data?.toString('latin1') ?? '';
        if (seen.includes(text)) return recording.events[i].t;
      }
      return Infinity;
    };
    const first = found[0];
    // Within the settle time plus the next output Claude Code drew (its spinner ticks several times a second).
    expect(first.t - drawnAt('->relay:Bob')).toBeLessThan(2000);
  });
});
