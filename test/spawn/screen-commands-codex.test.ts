import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRecording, replay, resplit } from './screen-detect';

// Bytes recorded from the real Codex 0.171.0 in a PTY against a scripted model (see
// fixtures/codex/README.md), replayed through the screen detector with the recording's own clock.
// Codex word-wraps a long line onto a row indented like the line's text, and after a resize to a
// wider terminal it keeps drawing the rows it wrapped for the narrower one until its next turn:
// read at the new width alone, the command's first row looked complete and was sent a second time,
// cut short ("… a line long enough").

const recording = () => loadRecording(join(import.meta.dirname, 'fixtures', 'codex', 'codex-resize.jsonl'));
const msg = (to: string, body: string) => ({ type: 'message', to, body });
const expected = [
  msg('Peer', 'hello-via-output'),
  msg('Tester', 'hello Tester from Cx via output, a line long enough that Codex wraps it on a narrow pane: alpha beta gamma delta epsilon 0123456789 END'),
  msg('Peer', 'after the resizes'),
];

describe('relay commands from the real Codex screen', () => {
  it('every command once, in order, across resizes that leave rows wrapped for an earlier width', async () => {
    const r = recording();
    expect(r.meta.cli).toBe('codex 0.171.0 --no-daemon');
    expect((await replay(r)).map((f) => f.command)).toEqual(expected);
  });

  it('the same however the reads were cut', async () => {
    for (const how of ['halves', 'batches'] as const) {
      expect((await replay(resplit(recording(), how))).map((f) => f.command)).toEqual(expected);
    }
  });
});
