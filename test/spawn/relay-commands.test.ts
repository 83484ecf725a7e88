import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createInjectionQueue, createOutboxWatcher, createRelayCommandParser, formatInjectedMessage, parseOutboxFile,
  type OutboxCommand,
} from '../../server/relay-commands';

const feedAll = (chunks: Array<string | Buffer>) => {
  const p = createRelayCommandParser();
  return chunks.flatMap((c) => p.feed(c));
};

describe('relay command parser', () => {
  it('finds an inline message on a line of its own', () => {
    expect(feedAll(['hello\r\n->relay:Bob please review\r\nbye\r\n'])).toEqual([{ type: 'message', to: 'Bob', body: 'please review' }]);
  });

  it('reads a thread, a broadcast and leading decoration', () => {
    expect(feedAll(['⏺ ->relay:Bob [thread:t-1] on it\n', '  ->relay:* all hands\n'])).toEqual([
      { type: 'message', to: 'Bob', body: 'on it', thread: 't-1' },
      { type: 'message', to: '*', body: 'all hands' },
    ]);
  });

  it('ignores commands inside prose and injected message echoes', () => {
    expect(feedAll(['I will send ->relay:Bob hi\n', 'Relay message from Ann [12345678]: ->relay:Bob hi\n'])).toEqual([]);
  });

  it('strips ANSI colours and OSC titles, across chunk boundaries', () => {
    const out = feedAll(['\x1b]0;title\x07\x1b[1;3', '2m->re', 'lay:\x1b[0mBob \x1b[36mcoloured\x1b[0m body\r', '\n']);
    expect(out).toEqual([{ type: 'message', to: 'Bob', body: 'coloured body' }]);
  });

  it('decodes UTF-8 split across chunks', () => {
    const bytes = Buffer.from('->relay:Bob héllo ✓\n');
    expect(feedAll([bytes.subarray(0, 16), bytes.subarray(16)])).toEqual([{ type: 'message', to: 'Bob', body: 'héllo ✓' }]);
  });

  it('reads a multi-line message', () => {
    expect(feedAll(['->relay:Bob [thread:x] <<<\r\nline one\r\n', '  indented\r\n>>>\r\n'])).toEqual([
      { type: 'message', to: 'Bob', body: 'line one\n  indented', thread: 'x' },
    ]);
  });

  it('reads spawn, release and relay-file', () => {
    expect(feedAll(['->relay:spawn Worker1 claude "fix the \\"tests\\""\n', '->relay:release Worker1\n', '->relay-file:msg-7\n'])).toEqual([
      { type: 'spawn', name: 'Worker1', cli: 'claude', task: 'fix the "tests"' },
      { type: 'release', name: 'Worker1' },
      { type: 'relay-file', id: 'msg-7' },
    ]);
  });

  it('sees a line repainted in place with \\r (spinner) once, in its final form', () => {
    expect(feedAll(['⠋ ->relay:Bob draft\r\x1b[K->relay:Bob final text\r\n'])).toEqual([{ type: 'message', to: 'Bob', body: 'final text' }]);
  });

  it('acts once when a TUI redraws the same command line (cursor up + erase)', () => {
    const frame = '->relay:Bob ship it\r\n\x1b[2m> thinking\x1b[0m\r\n';
    const redraw = '\x1b[2K\x1b[1A\x1b[2K\x1b[1A\x1b[2K\x1b[G';
    const out = feedAll([frame, redraw + frame, redraw + frame, '\x1b[2J\x1b[H' + frame]);
    expect(out).toEqual([{ type: 'message', to: 'Bob', body: 'ship it' }]);
  });

  it('sends a deliberately repeated command printed again in plain output', () => {
    expect(feedAll(['->relay:Bob ping\r\n', 'work...\r\n', '->relay:Bob ping\r\n'])).toHaveLength(2);
  });

  it('forgets a command after the redraw memory window', () => {
    let now = 0;
    const p = createRelayCommandParser({ redrawMemoryMs: 1000, now: () => now });
    expect(p.feed('->relay:Bob x\n')).toHaveLength(1);
    now = 5000;
    expect(p.feed('\x1b[1A->relay:Bob x\n')).toHaveLength(1);
  });

  it('skips very long lines without keeping them', () => {
    expect(feedAll(['x'.repeat(300_000), '\n->relay:Bob ok\n'])).toEqual([{ type: 'message', to: 'Bob', body: 'ok' }]);
  });
});

describe('relay command parser: plain-line fast path on byte chunks', () => {
  const plain = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} ok é\r\n`).join('');
  // Each case is parsed once as one string (the character-by-character path) and then as bytes cut
  // into chunks at many positions; the commands must be identical every time.
  const cases: Record<string, string> = {
    'a command between plain lines': plain(5, 'a') + '->relay:Bob hi there\r\n' + plain(5, 'b'),
    'a command split over a chunk boundary': plain(3, 'a') + '  ->relay:Bob split\r\n' + plain(3, 'b'),
    'ANSI inside a command line': plain(3, 'a') + '\x1b[1m->re\x1b[0mlay:Bob bold\r\n' + plain(3, 'b'),
    'an OSC string that spans newlines': plain(2, 'a') + '\x1b]0;x\ny\n->relay:Bob no\n\x07' + plain(2, 'b') + '->relay:Bob yes\n',
    'ESC right before a newline': plain(2, 'a') + '->relay:Bob one\x1b\n' + plain(3, 'b') + '\n->relay:Bob two\n',
    'a CSI that swallows newlines': plain(2, 'a') + '\x1b[1\n2\n' + plain(3, 'b') + '->relay:Bob c\n',
    'C1 CSI (U+009B) in plain lines': plain(2, 'a') + '\u009b2J' + plain(3, 'b') + '->relay:Bob x\n' + '\u009bA' + '->relay:Bob x\n',
    'a C1 cursor-up among plain lines counts as a redraw': '->relay:Bob x\n' + plain(3, 'a') + '\u009b1A\n' + plain(3, 'b') + '->relay:Bob x\n',
    'a C1 OSC string that spans plain lines': plain(2, 'a') + '\u009d0;title\n' + plain(3, 'b') + '->relay:Bob swallowed\n\x07->relay:Bob seen\n',
    'a repaint after plain lines is dropped, a resend without one is kept':
      '->relay:Bob same\r\n' + plain(4, 'a') + '\x1b[2A' + plain(2, 'b') + '->relay:Bob same\r\n' + plain(4, 'c') + '->relay:Bob same\r\n',
    'a multi-line block with plain lines inside': plain(2, 'a') + '->relay:Bob <<<\r\n' + plain(4, 'in') + '>>>\r\n' + plain(2, 'b'),
    'a command finished after \\r overwrites': plain(2, 'a') + 'xxxxxxxxxxxxxx\r->relay:Bob over\n' + plain(2, 'b'),
    'a line made of a partial line and the next chunk': plain(2, 'a') + '->relay:Bo' + 'b tail\n' + plain(3, 'c'),
    'multi-byte UTF-8 around newlines': plain(2, 'ü') + '✓✓\n->relay:Bob ✓ done\n' + plain(2, '✓'),
    'invalid UTF-8 before a newline': plain(2, 'a') + '\xff\n' + '->relay:Bob after\n',
    'a very long plain line then a command': 'x'.repeat(300_000) + '\n' + plain(3, 'a') + '->relay:Bob ok\n',
  };
  const parseString = (text: string) => createRelayCommandParser({ now: () => 0 }).feed(text);
  const parseChunks = (bytes: Buffer, cuts: number[]) => {
    const p = createRelayCommandParser({ now: () => 0 });
    const out = [];
    let from = 0;
    for (const cut of [...cuts, bytes.length]) {
      out.push(...p.feed(bytes.subarray(from, cut)));
      from = cut;
    }
    return out;
  };

  for (const [what, text] of Object.entries(cases)) {
    it(`gives the same commands for any chunking: ${what}`, () => {
      const bytes = what.startsWith('invalid') ? Buffer.from(text, 'latin1') : Buffer.from(text);
      const expected = parseString(bytes.toString('utf8'));
      expect(parseChunks(bytes, [])).toEqual(expected);
      const step = Math.max(1, Math.floor(bytes.length / 400));
      for (let a = 1; a < bytes.length; a += step) {
        expect(parseChunks(bytes, [a])).toEqual(expected);
        const b = a + ((a * 7) % 97) + 1;
        if (b < bytes.length) expect(parseChunks(bytes, [a, b])).toEqual(expected);
      }
    });
  }

  it('still finds commands in a plain flood fed in PTY-sized chunks', () => {
    const text = plain(2000, 'flood') + '->relay:Bob mid-flood\r\n' + plain(2000, 'more') + '->relay:Ann end\r\n';
    expect(parseChunks(Buffer.from(text), Array.from({ length: Math.floor(text.length / 4095) }, (_, i) => (i + 1) * 4095))).toEqual([
      { type: 'message', to: 'Bob', body: 'mid-flood' },
      { type: 'message', to: 'Ann', body: 'end' },
    ]);
  });
});

describe('outbox files', () => {
  it('parses message, spawn and release files', () => {
    expect(parseOutboxFile('TO: Bob\nTHREAD: t9\n\nhello\nworld\n')).toEqual({ type: 'message', to: 'Bob', body: 'hello\nworld', thread: 't9' });
    expect(parseOutboxFile('KIND: spawn\nNAME: W\nCLI: demo\nMODEL: m\nCWD: sub\n\ndo it')).toEqual({ type: 'spawn', name: 'W', cli: 'demo', task: 'do it', model: 'm', cwd: 'sub' });
    expect(parseOutboxFile('KIND: release\nNAME: W\n')).toEqual({ type: 'release', name: 'W' });
    expect(parseOutboxFile('\nno headers')).toHaveProperty('error');
  });

  it('the watcher picks up msg/spawn/release files per agent and deletes them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'relay-outbox-'));
    try {
      const seen: Array<[string, OutboxCommand]> = [];
      const w = createOutboxWatcher({ root, handle: (agent, cmd) => void seen.push([agent, cmd]), pollMs: 100 });
      mkdirSync(join(root, 'Carol'), { recursive: true });
      writeFileSync(join(root, 'Carol', 'msg'), 'TO: Bob\n\nfrom a file');
      writeFileSync(join(root, 'Carol', 'other'), 'TO: Bob\n\nnot watched');
      const deadline = Date.now() + 5000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      w.close();
      expect(seen).toEqual([['Carol', { type: 'message', to: 'Bob', body: 'from a file' }]]);
      expect(readdirSync(join(root, 'Carol'))).toEqual(['other']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('injection queue', () => {
  it('types each message, then Enter, in order, never interleaved, resolving after the Enter', async () => {
    const writes: string[] = [];
    let quiet = false;
    const q = createInjectionQueue({ write: (d) => void writes.push(d), isQuiet: () => quiet, maxWaitMs: 2000, enterDelayMs: 20, pollMs: 5 });
    const done: string[] = [];
    const a = q.enqueue('first').then(() => done.push(`a:${writes.length}`));
    const b = q.enqueue('second').then(() => done.push(`b:${writes.length}`));
    await new Promise((r) => setTimeout(r, 50));
    expect(writes).toEqual([]); // waits for quiet
    quiet = true;
    await Promise.all([a, b]);
    expect(writes).toEqual(['first', '\r', 'second', '\r']);
    // Each promise resolves only after its Enter was written.
    expect(done.map((d) => d[0])).toEqual(['a', 'b']);
    expect(Number(done[0].slice(2))).toBeGreaterThanOrEqual(2);
    expect(done[1]).toBe('b:4');
  });

  it('types anyway after the bounded wait, and rejects what is queued when closed', async () => {
    const writes: string[] = [];
    const q = createInjectionQueue({ write: (d) => void writes.push(d), isQuiet: () => false, maxWaitMs: 30, enterDelayMs: 5, pollMs: 5 });
    await q.enqueue('x');
    expect(writes).toEqual(['x', '\r']);
    const slow = createInjectionQueue({ write: () => {}, isQuiet: () => false, maxWaitMs: 10_000, pollMs: 5 });
    const p = slow.enqueue('never');
    slow.close('gone');
    await expect(p).rejects.toThrow('gone');
  });

  it('formats injected messages with the short id, thread and newlines as spaces', () => {
    const env = { v: 1 as const, type: 'DELIVER', id: 'abcdef123456', ts: 0, from: 'Ann', to: 'Bob', payload: { kind: 'message' as const, body: 'a\nb', thread: 't1' } };
    expect(formatInjectedMessage(env)).toBe('Relay message from Ann [abcdef12] [thread:t1]: a b');
  });
});
