import { createServer, connect, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { InjectionState } from '../../lib/protocol';
import { createInjectionQueue, formatInjectedMessage, type InjectionBlock, type ReadinessCheck } from '../../server/relay-commands/injection';
import { createTerminalReadiness } from '../../server/relay-commands/readiness';
import { isKeystrokes } from '../../server/relay-commands/typing';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(5);
  }
}

function queueWith(readiness: ReadinessCheck, extra: { maxWaitMs?: number; reportAfterMs?: number } = {}) {
  const writes: string[] = [];
  const states: InjectionState[] = [];
  const q = createInjectionQueue({
    write: (d) => void writes.push(d),
    readiness,
    maxWaitMs: extra.maxWaitMs ?? 2000,
    enterDelayMs: 10,
    pollMs: 5,
    reportAfterMs: extra.reportAfterMs ?? 30,
    onState: (s) => void states.push(s),
  });
  return { q, writes, states };
}

describe('injection queue', () => {
  it('types each message, then Enter, in order, never interleaved, resolving after the Enter', async () => {
    let ready = false;
    const { q, writes } = queueWith(() => (ready ? undefined : { code: 'busy', soft: true, reason: 'output' }));
    const done: string[] = [];
    const a = q.enqueue('first').then(() => done.push(`a:${writes.length}`));
    const b = q.enqueue('second').then(() => done.push(`b:${writes.length}`));
    await tick(50);
    expect(writes).toEqual([]); // waits for quiet
    ready = true;
    await Promise.all([a, b]);
    expect(writes).toEqual(['first', '\r', 'second', '\r']);
    // Each promise resolves only after its Enter was written.
    expect(done).toEqual(['a:2', 'b:4']);
  });

  it('types anyway after the bounded wait when the block is soft, and rejects what is queued when closed', async () => {
    const { q, writes } = queueWith(() => ({ code: 'busy', soft: true, reason: 'output' }), { maxWaitMs: 30 });
    await q.enqueue('x');
    expect(writes).toEqual(['x', '\r']);
    const slow = queueWith(() => ({ code: 'busy', soft: true, reason: 'output' }), { maxWaitMs: 10_000 });
    const p = slow.q.enqueue('never');
    slow.q.close('gone');
    await expect(p).rejects.toThrow('gone');
    expect(slow.writes).toEqual([]);
  });

  it('never types through a hard block, however long, and shows the wait with its reason', async () => {
    let block: InjectionBlock | undefined = { code: 'dialog', reason: 'A dialog is up: answer it in its terminal.' };
    const { q, writes, states } = queueWith(() => block, { maxWaitMs: 20, reportAfterMs: 40 });
    const p = q.enqueue('hello');
    await tick(150); // far past the soft bound
    expect(writes).toEqual([]);
    const s = q.state();
    expect(s).toMatchObject({ mode: 'auto', pending: 1, held: 0, waiting: { code: 'dialog', reason: 'A dialog is up: answer it in its terminal.' } });
    expect(s.waiting!.since).toBeLessThanOrEqual(Date.now() - 100);
    // Reported once, not once per poll.
    expect(states.filter((x) => x.waiting?.code === 'dialog')).toHaveLength(1);
    block = undefined;
    await p;
    expect(writes).toEqual(['hello', '\r']);
    expect(q.state()).toEqual({ mode: 'auto', pending: 0, held: 0 });
    expect(states.at(-1)).toEqual({ mode: 'auto', pending: 0, held: 0 });
  });

  it('a short wait is not reported as waiting', async () => {
    let ready = false;
    const { q, states } = queueWith(() => (ready ? undefined : { code: 'busy', soft: true, reason: 'output' }), { reportAfterMs: 500 });
    const p = q.enqueue('x');
    await tick(30);
    ready = true;
    await p;
    expect(states.some((s) => s.waiting)).toBe(false);
    expect(states.map((s) => s.pending)).toEqual([1, 0]);
  });

  it('hold keeps everything queued in order; flush delivers what is held now, one at a time; auto resumes', async () => {
    let readyChecks = 0;
    const { q, writes, states } = queueWith(() => {
      readyChecks++;
      return undefined;
    });
    q.setMode('hold');
    const order: string[] = [];
    const a = q.enqueue('one').then(() => order.push('one'));
    const b = q.enqueue('two').then(() => order.push('two'));
    await tick(60);
    expect(writes).toEqual([]);
    expect(readyChecks).toBe(0); // held items do not even ask the terminal
    expect(q.state()).toMatchObject({ mode: 'hold', pending: 2, held: 2, waiting: { code: 'held' } });

    expect(q.flush()).toBe(2);
    await Promise.all([a, b]);
    expect(writes).toEqual(['one', '\r', 'two', '\r']);
    expect(order).toEqual(['one', 'two']);
    // Each flushed item still asked the terminal before it was typed.
    expect(readyChecks).toBeGreaterThanOrEqual(2);

    // Still holding: what arrives after the flush waits.
    const c = q.enqueue('three');
    await tick(40);
    expect(writes).toHaveLength(4);
    expect(q.state()).toMatchObject({ mode: 'hold', pending: 1, held: 1 });
    q.setMode('auto');
    await c;
    expect(writes).toEqual(['one', '\r', 'two', '\r', 'three', '\r']);
    expect(q.state()).toEqual({ mode: 'auto', pending: 0, held: 0 });
    expect(states.at(-1)).toEqual({ mode: 'auto', pending: 0, held: 0 });
  });

  it('flush in auto releases nothing; holding again after a flush holds new and old alike', async () => {
    let ready = false;
    const { q, writes } = queueWith(() => (ready ? undefined : { code: 'typing', reason: 'typing' }));
    const a = q.enqueue('a');
    expect(q.flush()).toBe(0);
    q.setMode('hold');
    expect(q.flush()).toBe(1);
    q.setMode('auto');
    q.setMode('hold');
    ready = true;
    await tick(40);
    expect(writes).toEqual([]); // the earlier flush belonged to the earlier hold
    expect(q.state().held).toBe(1);
    q.setMode('auto');
    await a;
    expect(writes).toEqual(['a', '\r']);
  });

  it('holding while an item waits for the terminal stops it before it is typed', async () => {
    let ready = false;
    const { q, writes } = queueWith(() => (ready ? undefined : { code: 'not-at-prompt', reason: 'working' }));
    const p = q.enqueue('x');
    await tick(20);
    q.setMode('hold');
    ready = true;
    await tick(40);
    expect(writes).toEqual([]);
    q.flush();
    await p;
    expect(writes).toEqual(['x', '\r']);
  });

  it('closing while held rejects the held items (they stay unacknowledged, never typed)', async () => {
    const { q, writes } = queueWith(() => undefined);
    q.setMode('hold');
    const p = q.enqueue('x');
    await tick(10);
    q.close('gone');
    await expect(p).rejects.toThrow('gone');
    expect(writes).toEqual([]);
    expect(q.state().pending).toBe(0);
  });

  it('the soft bound is per item (the task waits longer than a message)', async () => {
    const { q, writes } = queueWith(() => ({ code: 'starting', soft: true, reason: 'nothing yet' }), { maxWaitMs: 20 });
    const started = Date.now();
    await q.enqueue('task', { maxWaitMs: 150 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await q.enqueue('msg');
    expect(writes).toEqual(['task', '\r', 'msg', '\r']);
  });

  it('presses Enter again when the text still sits at the prompt, and says when it sticks', async () => {
    const writes: string[] = [];
    const stuck: boolean[] = [];
    let swallow = 1; // the first Enter is lost (a loaded TUI read it with the paste)
    const enters = () => writes.filter((w) => w === '\r').length;
    const q = createInjectionQueue({
      write: (d) => void writes.push(d),
      readiness: () => undefined,
      enterDelayMs: 5,
      pollMs: 5,
      submitCheckMs: 40,
      submitRetries: 2,
      submitted: async () => (enters() > swallow ? 'sent' : 'unsent'),
      onSubmitStuck: (s) => void stuck.push(s),
    });
    await q.enqueue('hello');
    expect(writes).toEqual(['hello', '\r', '\r']);
    // Never taken: Enter 1 + 2 retries, then a person is told; the ACK still follows.
    swallow = 100;
    writes.length = 0;
    await q.enqueue('again');
    expect(writes).toEqual(['again', '\r', '\r', '\r']);
    expect(stuck).toEqual([false, true]);
  });

  it('waits for the text to be drawn at the prompt before pressing Enter (a loaded TUI renders a paste late)', async () => {
    const writes: string[] = [];
    // The CLI draws the text only by the 4th look at its screen (no clock: a loaded machine cannot skew it).
    let looks = 0;
    let entered = false;
    let enteredBeforeDrawn = false;
    const q = createInjectionQueue({
      write: (d) => {
        writes.push(d);
        if (d === '\r') {
          entered = true;
          if (looks < 4) enteredBeforeDrawn = true;
        }
      },
      readiness: () => undefined,
      enterDelayMs: 5,
      pollMs: 5,
      submitCheckMs: 30_000,
      // Empty prompt until drawn; drawn and not yet entered: unsent; after the Enter: sent.
      submitted: async () => (entered ? 'sent' : ++looks < 4 ? 'sent' : 'unsent'),
    });
    await q.enqueue('late');
    // Before: the Enter went 5 ms after the text, and the empty prompt right after it passed for 'sent'.
    expect(enteredBeforeDrawn).toBe(false);
    expect(looks).toBe(4);
    expect(writes).toEqual(['late', '\r']);
  });

  it('never presses Enter again when it cannot tell whose text is at the prompt', async () => {
    const writes: string[] = [];
    const q = createInjectionQueue({ write: (d) => void writes.push(d), readiness: () => undefined, enterDelayMs: 5, pollMs: 5, submitCheckMs: 30, submitted: async () => 'unknown' });
    await q.enqueue('x');
    expect(writes).toEqual(['x', '\r']);
  });

  it('formats injected messages with the short id, thread and newlines as spaces', () => {
    const env = { v: 1 as const, type: 'DELIVER', id: 'abcdef123456', ts: 0, from: 'Ann', to: 'Bob', payload: { kind: 'message' as const, body: 'a\nb', thread: 't1' } };
    expect(formatInjectedMessage(env)).toBe('Relay message from Ann [abcdef12] [thread:t1]: a b');
  });
});

describe('terminal readiness', () => {
  it('a person typing blocks hard; output quiet is soft; a prompt recogniser decides last', async () => {
    let outputAt = 0;
    let typedAt = 0;
    let screen = 'working…';
    const check = createTerminalReadiness({
      lastOutputAt: () => outputAt,
      lastTypedAt: () => typedAt,
      waitForFirstOutput: true,
      quietMs: 100,
      typingQuietMs: 200,
      prompt: async () => (screen.includes('> ') ? undefined : { code: 'not-at-prompt', reason: 'The agent is working.' }),
    });
    expect(await check({ softExpired: false })).toMatchObject({ code: 'starting', soft: true });
    outputAt = Date.now();
    expect(await check({ softExpired: false })).toMatchObject({ code: 'busy', soft: true });
    // Past the soft bound the output no longer counts, but the screen still does.
    expect(await check({ softExpired: true })).toMatchObject({ code: 'not-at-prompt' });
    screen = '> ';
    expect(await check({ softExpired: true })).toBeUndefined();
    typedAt = Date.now();
    expect(await check({ softExpired: true })).toMatchObject({ code: 'typing' });
    expect((await check({ softExpired: true }))!.soft).toBeUndefined();
    await tick(210);
    expect(await check({ softExpired: false })).toBeUndefined();
  });

  it('a key that arrived while the relay was starved of CPU counts before anything is typed', async () => {
    // A loaded machine: the relay gets the CPU back after more than the quiet time, its due timer
    // (the queue's poll) runs first, and a person's key that came meanwhile is still unread in the
    // socket. Reproduced with a real socket: the key is written, then the check runs before this
    // process has had a chance to read it.
    let typedAt = Date.now() - 5000;
    const server = createServer((conn) => conn.on('data', () => (typedAt = Date.now())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', r));
    await tick(50); // the server side has accepted
    try {
      const check = createTerminalReadiness({ lastOutputAt: () => 0, lastTypedAt: () => typedAt, waitForFirstOutput: false, typingQuietMs: 3000 });
      client.write('x');
      const end = Date.now() + 30;
      while (Date.now() < end); // busy: the key is in the server's socket, not read yet
      expect(Date.now() - typedAt).toBeGreaterThan(3000);
      expect(await check({ softExpired: false })).toMatchObject({ code: 'typing' });
    } finally {
      client.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('a wrapped command that printed nothing is ready at once', async () => {
    const check = createTerminalReadiness({ lastOutputAt: () => 0, lastTypedAt: () => 0, waitForFirstOutput: false });
    expect(await check({ softExpired: false })).toBeUndefined();
  });
});

describe('isKeystrokes', () => {
  it('counts keys and pastes, not what the terminal answers on its own', () => {
    expect(isKeystrokes('a')).toBe(true);
    expect(isKeystrokes('\r')).toBe(true);
    expect(isKeystrokes('\x03')).toBe(true);
    expect(isKeystrokes('\x1b[A')).toBe(true); // arrow up
    expect(isKeystrokes('\x1b[200~pasted\x1b[201~')).toBe(true);
    expect(isKeystrokes('\x1b[12;40R')).toBe(false); // cursor position report
    expect(isKeystrokes('\x1b[?1;2c\x1b[>0;276;0c')).toBe(false); // device attributes
    expect(isKeystrokes('\x1b[I\x1b[O')).toBe(false); // focus
    expect(isKeystrokes('\x1b[<0;10;5M\x1b[<0;10;5m')).toBe(false); // SGR mouse click
    expect(isKeystrokes('\x1b]11;rgb:0a0a/0d0d/1212\x1b\\')).toBe(false); // OSC colour reply
    expect(isKeystrokes('\x1bP1+r636f6c73=3830\x1b\\')).toBe(false); // XTGETTCAP reply
    expect(isKeystrokes(Buffer.from('\x1b[12;40Rx'))).toBe(true);
  });
});
