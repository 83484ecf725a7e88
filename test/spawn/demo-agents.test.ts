import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, makeFixture, outputText, waitFor, type SpawnFixture } from './helpers';

let fx: SpawnFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('demo agents talking through the real router', () => {
  it('converse through ->relay: and outbox files: stored, typed in once each, in order, acknowledged', async () => {
    fx = makeFixture();
    const { manager: m, router } = fx;
    await m.spawn({ name: 'Alice', cli: 'demo', task: 'reply to every message' });
    await waitFor(() => m.getWorker('Alice')?.taskDelivered, 15_000, 'Alice task');
    await m.spawn({ name: 'Bob', cli: 'demo', task: 'send Alice hello there; write outbox to Alice: via file' });

    const wanted = [
      ['Bob', 'Alice', 'hello there'],
      ['Bob', 'Alice', 'via file'],
      ['Alice', 'Bob', 'got it: hello there'],
      ['Alice', 'Bob', 'got it: via file'],
    ];
    const messages = await waitFor(() => {
      const all = router.queryMessages({ order: 'asc', limit: 100 });
      const ok = wanted.every(([from, to, body]) => all.some((x) => x.from === from && x.to === to && x.body === body && x.status === 'acked'));
      return ok ? all : undefined;
    }, 30_000, 'four acknowledged messages');
    const bodiesFrom = (from: string) => messages.filter((x) => x.from === from).map((x) => x.body);
    expect(bodiesFrom('Bob')).toEqual(['hello there', 'via file']);
    expect(bodiesFrom('Alice')).toEqual(['got it: hello there', 'got it: via file']);

    // Each message was typed into the recipient's terminal exactly once, in order.
    await waitFor(async () => count(await outputText(m, 'Bob'), 'Relay message from Alice [') === 2, 10_000, 'Bob sees both replies');
    const alice = await outputText(m, 'Alice');
    const bob = await outputText(m, 'Bob');
    expect(count(alice, 'Relay message from Bob [')).toBe(2);
    expect(alice.indexOf(': hello there')).toBeLessThan(alice.indexOf(': via file'));
    expect(bob.indexOf('got it: hello there')).toBeLessThan(bob.indexOf('got it: via file'));
    // The ids typed are the first 8 characters of the delivered message ids.
    expect(alice).toMatch(/Relay message from Bob \[[^\]]{8}\]: hello there/);
    // The relay-file was consumed.
    expect(readdirSync(join(fx.dataDir, 'outbox', 'Bob'))).toEqual([]);
  }, 60_000);

  it('sends what another program writes to the outbox directory as that agent', async () => {
    fx = makeFixture();
    const { manager: m, router } = fx;
    await m.spawn({ name: 'Alice', cli: 'demo' });
    await waitFor(() => m.getWorker('Alice')?.status === 'running', 10_000, 'Alice running');
    mkdirSync(join(fx.dataDir, 'outbox', 'Carol'), { recursive: true });
    writeFileSync(join(fx.dataDir, 'outbox', 'Carol', 'msg'), 'TO: Alice\nTHREAD: t7\n\nfrom the mcp server');
    await waitFor(() => router.queryMessages({ from: 'Carol' }).find((x) => x.body === 'from the mcp server' && x.thread === 't7'), 10_000, 'stored');
    // The terminal echoes the injected line as it is typed: wait for all of it, not its first bytes.
    const injected = /Relay message from Carol \[[^\]]{8}\] \[thread:t7\]: from the mcp server/;
    await waitFor(async () => injected.test(await outputText(m, 'Alice')), 10_000, 'typed into Alice');
    expect(await outputText(m, 'Alice')).toMatch(injected);
    expect(existsSync(join(fx.dataDir, 'outbox', 'Carol', 'msg'))).toBe(false);
  }, 30_000);

  it('spawns and releases workers through its output, as their spawner', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 'Boss', cli: 'demo', task: 'spawn Eve demo reply to every message; wait 1500; release Eve' });
    const eve = await waitFor(() => m.getWorker('Eve'), 20_000, 'Eve spawned');
    expect(eve.spawnerName).toBe('Boss');
    expect(eve.task).toBe('reply to every message');
    const done = await exitOf(m, 'Eve');
    expect(done.exitCode).toBe(0); // the demo agent's polite /exit
  }, 40_000);

  it('asks for a review and exits once it is answered', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 'Rev', cli: 'demo', task: 'reply to every message' });
    await waitFor(() => m.getWorker('Rev')?.taskDelivered, 15_000, 'Rev task');
    await m.spawn({ name: 'Dev', cli: 'demo', task: 'ask Rev for a review then exit' });
    const done = await exitOf(m, 'Dev');
    expect(done.exitCode).toBe(0);
    expect(await outputText(m, 'Dev')).toContain('review received from Rev');
  }, 40_000);

  it('answers typed lines like a REPL and leaves politely on release', async () => {
    fx = makeFixture();
    const m = fx.manager;
    await m.spawn({ name: 'Rep', cli: 'demo' });
    await waitFor(async () => (await outputText(m, 'Rep')).includes('Type an instruction'), 10_000, 'banner');
    m.sendWorkerInput('Rep', 'hello demo\r');
    await waitFor(async () => (await outputText(m, 'Rep')).includes('you said "hello demo"'), 10_000, 'answer');
    expect(await m.release('Rep')).toMatchObject({ endedBy: 'exit', exitCode: 0 });
  }, 30_000);
});

describe('demo agent banner', () => {
  it('draws its box as wide as the text inside, whatever the name', async () => {
    fx = makeFixture();
    const m = fx.manager;
    for (const name of ['Al', 'A_rather_long_agent_name_for_the_banner']) {
      await m.spawn({ name, cli: 'demo' });
      await waitFor(async () => (await outputText(m, name)).includes('╰'), 10_000, `${name}'s banner`);
      // eslint-disable-next-line no-control-regex
      const plain = (await outputText(m, name)).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      const box = plain.split(/\r?\n/).map((l) => l.replace(/^\r+|\r+$/g, '')).filter((l) => /^[╭│╰]/.test(l));
      expect(box).toHaveLength(3);
      expect(box[1]).toContain(`I am ${name}.`);
      expect(box[1].endsWith('│'), JSON.stringify(box)).toBe(true);
      expect(new Set(box.map((l) => [...l].length)).size).toBe(1);
    }
  });
});
