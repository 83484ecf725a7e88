import { describe, expect, it } from 'vitest';
import { FlowControl } from '../../lib/realtime/flow-control';
import { attach, connected, until, useStack, ViewRecorder } from './harness';

const stack = useStack();

/** Enough that a viewer stopped at the high-water mark ends up more than MAX_CATCHUP_BYTES behind. */
const FLOOD_BYTES = FlowControl.MAX_CATCHUP_BYTES + FlowControl.HIGH_WATER_BYTES + 1_000_000;

describe('realtime flow control', () => {
  it('a viewer that never acks stops at the high-water mark while the worker keeps running, then gets a snapshot once it acks', async () => {
    const slow = stack.client();
    const fast = stack.client();
    await Promise.all([connected(slow), connected(fast)]);
    await stack.spawnManager.spawn({ name: 'flood', cli: 'sh', args: ['-c', `read go; yes 0123456789abcdef | head -c ${FLOOD_BYTES}; echo; echo FLOOD-END; exec sleep 60`] });
    await until(() => stack.spawnManager.getWorker('flood')?.status !== 'starting', 'flood to start');

    const slowView = new ViewRecorder(slow, 'flood');
    const fastView = new ViewRecorder(fast, 'flood');
    // The fast viewer acks everything it receives, as xterm's write callback would.
    fast.on('worker:output', (name, start, data) => fast.emit('worker:ack', { name, offset: start + data.byteLength }));
    fast.on('worker:snapshot', (snap) => fast.emit('worker:ack', { name: snap.name, offset: snap.offset }));
    // The window bound below holds only if no frame is larger than FRAME_MAX_BYTES.
    let largestFrame = 0;
    for (const c of [fast, slow]) c.on('worker:output', (_n, _s, data) => void (largestFrame = Math.max(largestFrame, data.byteLength)));
    expect(await attach(slow, { name: 'flood' })).toMatchObject({ ok: true, mode: 'snapshot' });
    expect(await attach(fast, { name: 'flood' })).toMatchObject({ ok: true, mode: 'snapshot' });
    await until(() => slowView.snapshots.length === 1 && fastView.snapshots.length === 1, 'both snapshots');

    stack.spawnManager.sendWorkerInput('flood', 'go\r');
    // The PTY is not paused for the slow viewer: the worker produces all of its output.
    await until(() => fastView.tail().includes('FLOOD-END'), 'the acking viewer to see the end of the flood', 60_000);
    const end = await until(() => {
      const total = stack.spawnManager.getWorker('flood')!.outputBytes;
      return fastView.next === total && total;
    }, 'the acking viewer at the end');
    expect(end).toBeGreaterThan(FLOOD_BYTES);

    expect(largestFrame).toBeLessThanOrEqual(FlowControl.FRAME_MAX_BYTES);
    const bound = FlowControl.HIGH_WATER_BYTES + FlowControl.FRAME_MAX_BYTES;
    expect(slowView.received).toBeLessThanOrEqual(bound);
    const stats = stack.realtime.stats();
    const slowStats = stats.viewers.find((v) => v.viewer === slow.id && v.name === 'flood')!;
    expect(slowStats.unacked).toBeLessThanOrEqual(bound);
    expect(slowStats.behind).toBeGreaterThan(FlowControl.MAX_CATCHUP_BYTES);
    expect(stats.pendingBytes).toBeLessThanOrEqual(FlowControl.FRAME_MAX_BYTES);
    const engineSocket = stack.realtime.io.of('/').sockets.get(slow.id!)!.conn as unknown as { writeBuffer: unknown[] };
    expect(engineSocket.writeBuffer.length).toBeLessThanOrEqual(FlowControl.MAX_TRANSPORT_PACKETS + 1);
    expect(slowView.problems).toEqual([]);
    expect(fastView.problems).toEqual([]);

    // Acking what it has rendered moves the slow viewer to a fresh snapshot, then it follows to the end.
    slow.on('worker:output', (name, start, data) => slow.emit('worker:ack', { name, offset: start + data.byteLength }));
    slow.on('worker:snapshot', (snap) => slow.emit('worker:ack', { name: snap.name, offset: snap.offset }));
    slow.emit('worker:ack', { name: 'flood', offset: slowView.next! });
    await until(() => slowView.snapshots.length === 2, 'a fresh snapshot for the slow viewer');
    await until(() => slowView.next === end, 'the slow viewer to reach the end', 60_000);
    expect(slowView.problems).toEqual([]);
    expect(slowView.snapshots[1].data).toContain('FLOOD-END');
  }, 120_000);

  it('a viewer stopped less than MAX_CATCHUP_BYTES behind catches up with the missing bytes, not a snapshot', async () => {
    const viewer = stack.client();
    await connected(viewer);
    const size = FlowControl.HIGH_WATER_BYTES * 2;
    await stack.spawnManager.spawn({ name: 'burst', cli: 'sh', args: ['-c', `read go; yes 0123456789 | head -c ${size}; echo; echo BURST-END; exec sleep 60`] });
    await until(() => stack.spawnManager.getWorker('burst')?.status !== 'starting', 'start');
    const view = new ViewRecorder(viewer, 'burst');
    expect(await attach(viewer, { name: 'burst' })).toMatchObject({ ok: true, mode: 'snapshot' });
    await until(() => view.snapshots.length === 1, 'the snapshot');
    stack.spawnManager.sendWorkerInput('burst', 'go\r');
    await until(() => stack.spawnManager.getWorker('burst')!.outputBytes > size, 'the burst', 60_000);
    const stopped = await until(() => {
      const s = stack.realtime.stats().viewers.find((v) => v.name === 'burst');
      return s && s.behind > 0 && s.unacked >= FlowControl.HIGH_WATER_BYTES && s;
    }, 'the viewer to stop at the high-water mark');
    expect(stopped.behind).toBeLessThanOrEqual(FlowControl.MAX_CATCHUP_BYTES);

    viewer.on('worker:output', (name, start, data) => viewer.emit('worker:ack', { name, offset: start + data.byteLength }));
    viewer.emit('worker:ack', { name: 'burst', offset: view.next! });
    await until(() => view.tail().includes('BURST-END'), 'the rest of the burst', 60_000);
    await until(() => view.next === stack.spawnManager.getWorker('burst')!.outputBytes, 'the viewer at the end');
    expect(view.snapshots).toHaveLength(1);
    expect(view.problems).toEqual([]);
    const slice = await stack.spawnManager.readOutput('burst', view.start!, view.next! - view.start! + 1);
    expect(Buffer.concat(view.bytes).equals(slice.data)).toBe(true);
  }, 120_000);

  it('a viewer that acks in time receives every byte, identical to the output log', async () => {
    const viewer = stack.client();
    await connected(viewer);
    await stack.spawnManager.spawn({ name: 'steady', cli: 'sh', args: ['-c', 'read go; yes abcdefghijklmnopqrstuvwxyz | head -c 1500000; echo; echo STEADY-END; exec sleep 60'] });
    await until(() => stack.spawnManager.getWorker('steady')?.status !== 'starting', 'start');
    const view = new ViewRecorder(viewer, 'steady', 0);
    viewer.on('worker:output', (name, start, data) => viewer.emit('worker:ack', { name, offset: start + data.byteLength }));
    expect(await attach(viewer, { name: 'steady', since: 0 })).toMatchObject({ ok: true, mode: 'bytes' });
    stack.spawnManager.sendWorkerInput('steady', 'go\r');
    await until(() => view.text.includes('STEADY-END'), 'the end of the output', 60_000);
    const end = stack.spawnManager.getWorker('steady')!.outputBytes;
    await until(() => view.next === end, 'the viewer at the end');
    expect(view.problems).toEqual([]);
    expect(view.snapshots).toEqual([]);
    const slice = await stack.spawnManager.readOutput('steady', 0, end + 1);
    expect(Buffer.concat(view.bytes).equals(slice.data)).toBe(true);
  });
});
