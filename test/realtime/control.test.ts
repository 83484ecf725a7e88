import { describe, expect, it } from 'vitest';
import type { DriverEvent } from '../../lib/realtime/events';
import { attach, connected, until, useStack, ViewRecorder, type Client } from './harness';

const stack = useStack(async (s) => {
  await s.spawnManager.spawn({ name: 'cat', cli: 'cat' });
  await until(() => s.spawnManager.getWorker('cat')?.status !== 'starting', 'cat to start');
});

type Reply = { ok: boolean; error?: { code: string; message: string } };
function emitWithReply(socket: Client, event: string, payload: unknown): Promise<Reply> {
  return new Promise((resolve) => (socket as unknown as { emit: (...args: unknown[]) => void }).emit(event, payload, resolve));
}

describe('drive and watch', () => {
  it('the first viewer drives; a watcher is refused input and resize until it takes over, and everyone hears of it', async () => {
    const a = stack.client();
    const b = stack.client();
    await Promise.all([connected(a), connected(b)]);
    const aDrivers: DriverEvent[] = [];
    const bDrivers: DriverEvent[] = [];
    a.on('worker:driver', (e) => aDrivers.push(e));
    b.on('worker:driver', (e) => bDrivers.push(e));
    const viewA = new ViewRecorder(a, 'cat');
    expect(await attach(a, 'cat')).toMatchObject({ ok: true, driver: a.id });
    expect(await attach(b, 'cat')).toMatchObject({ ok: true, driver: a.id });

    expect(await emitWithReply(b, 'worker:input', { name: 'cat', data: 'from-watcher\r' })).toMatchObject({ ok: false, error: { code: 'NOT_DRIVER' } });
    expect(await emitWithReply(b, 'worker:resize', { name: 'cat', cols: 90, rows: 20 })).toMatchObject({ ok: false, error: { code: 'NOT_DRIVER' } });
    expect(stack.spawnManager.getWorker('cat')).toMatchObject({ cols: 120, rows: 32 });

    expect(await emitWithReply(a, 'worker:input', { name: 'cat', data: 'from-driver\r' })).toEqual({ ok: true });
    await until(() => viewA.text.includes('from-driver'), 'driver input echoed');

    expect(await emitWithReply(b, 'worker:drive', { name: 'cat' })).toEqual({ ok: true });
    await until(() => aDrivers.some((e) => e.driver === b.id) && bDrivers.some((e) => e.driver === b.id), 'both told of the new driver');
    expect(await emitWithReply(a, 'worker:input', { name: 'cat', data: 'x' })).toMatchObject({ ok: false, error: { code: 'NOT_DRIVER' } });
    expect(await emitWithReply(b, 'worker:resize', { name: 'cat', cols: 90, rows: 20 })).toEqual({ ok: true });
    await until(() => stack.spawnManager.getWorker('cat')?.cols === 90, 'the resize');
    expect(stack.spawnManager.getWorker('cat')!.rows).toBe(20);
    expect(await emitWithReply(b, 'worker:input', { name: 'cat', data: 'from-new-driver\r' })).toEqual({ ok: true });
    await until(() => viewA.text.includes('from-new-driver'), 'new driver input echoed to the watcher');
    expect(viewA.text).not.toContain('from-watcher');
  });

  it('a driver that leaves frees the seat for the next viewer to attach', async () => {
    const a = stack.client();
    await connected(a);
    expect(await attach(a, 'cat')).toMatchObject({ driver: a.id });
    a.disconnect();
    const b = stack.client();
    await connected(b);
    await until(async () => (await attach(b, 'cat')).driver === b.id, 'b to become the driver');
  });

  it('taking control needs an attached view', async () => {
    const a = stack.client();
    await connected(a);
    expect(await emitWithReply(a, 'worker:drive', { name: 'cat' })).toMatchObject({ ok: false, error: { code: 'NOT_ATTACHED' } });
  });
});

describe('payload validation', () => {
  it('bad payloads are answered with errors and the connection keeps working', async () => {
    const a = stack.client();
    await connected(a);
    expect(await emitWithReply(a, 'worker:attach', { name: 42 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await emitWithReply(a, 'worker:attach', 'cat')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await emitWithReply(a, 'worker:attach', { name: 'cat', since: -5 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await emitWithReply(a, 'worker:attach', { name: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await emitWithReply(a, 'worker:resize', { name: 'cat', cols: 'wide', rows: 5 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await emitWithReply(a, 'worker:input', null)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await emitWithReply(a, 'worker:drive', [])).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    // Events without a reply callback, and garbage acks, are ignored without a crash.
    a.emit('worker:ack', { name: 'cat', offset: -1 });
    (a as unknown as { emit: (...args: unknown[]) => void }).emit('worker:input', { name: 'cat', data: 'no reply wanted' });
    (a as unknown as { emit: (...args: unknown[]) => void }).emit('worker:detach', 17);
    expect(await emitWithReply(a, 'worker:attach', { name: 'cat' })).toMatchObject({ ok: true, mode: 'snapshot' });
    // Oversized input is refused by the SpawnManager's limit, with its code.
    const big = 'x'.repeat(64 * 1024 + 1);
    expect(await emitWithReply(a, 'worker:input', { name: 'cat', data: big })).toMatchObject({ ok: false, error: { code: 'INPUT_TOO_LARGE' } });
    expect(a.connected).toBe(true);
  });
});

describe('handshake', () => {
  it('refuses a connection without the token or from a foreign origin', async () => {
    const noToken = stack.client({ token: 'wrong' });
    await expect(connected(noToken)).rejects.toThrow(/token/i);
    const foreign = stack.client({ origin: 'http://evil.example' });
    await expect(connected(foreign)).rejects.toThrow();
    const good = stack.client();
    await connected(good);
  });
});
