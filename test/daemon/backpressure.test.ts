import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../lib/protocol';
import { RawClient, env, sleep, startTestDaemon, type TestDaemon } from './helpers';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.stop();
  d = undefined;
});

describe('backpressure', () => {
  it('stops reading from a sender while its recipient is congested, and drops nothing', { timeout: 60_000 }, async () => {
    d = await startTestDaemon({ router: { redeliveryMs: 600_000 } });
    const slow = await RawClient.hello(d.socketPath, 'Slow');
    const fast = await RawClient.hello(d.socketPath, 'Fast');
    slow.socket.pause();
    const count = 4000;
    const pad = 'x'.repeat(4096);
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(encodeFrame(env('SEND', { kind: 'message', body: `${i} ${pad}` }, { to: 'Slow' })));
    fast.write(Buffer.concat(frames));
    // ~16 MB offered. With the daemon no longer reading, most of it stays queued in the sender.
    await fast.until(() => (fast.socket.writableLength > 4 * 1024 * 1024 ? true : undefined), 10_000);
    // Give a daemon that ignored backpressure ample time to swallow the rest (checked: without the pause this fails).
    await sleep(2000);
    expect(fast.socket.writableLength).toBeGreaterThan(4 * 1024 * 1024);
    expect(fast.of('ERROR')).toHaveLength(0);

    slow.socket.resume();
    const delivered = await slow.waitForCount('DELIVER', count, 30_000);
    expect(delivered.map((f) => Number((f.payload as { body: string }).body.split(' ')[0]))).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(fast.of('ERROR')).toHaveLength(0);
    slow.close();
    fast.close();
  });
});
