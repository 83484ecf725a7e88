import { describe, expect, it } from 'vitest';
import { attach, connected, until, useStack, ViewRecorder } from './harness';

const stack = useStack();

async function outputOf(name: string, since = 0): Promise<string> {
  const end = stack.spawnManager.getWorker(name)!.outputBytes;
  const slice = await stack.spawnManager.readOutput(name, since, end - since + 1);
  expect(slice.start).toBe(since);
  return slice.data.toString('utf8');
}

/** `cat` in a PTY: everything typed comes back (terminal echo plus cat's copy). */
async function spawnCat(name: string) {
  const info = await stack.spawnManager.spawn({ name, cli: 'cat' });
  await until(() => stack.spawnManager.getWorker(name)?.status !== 'starting', 'cat to start');
  return info;
}

describe('realtime streaming', () => {
  it('attach without an offset gets a snapshot, then live output contiguous from its offset', async () => {
    await spawnCat('cat1');
    stack.spawnManager.sendWorkerInput('cat1', 'before-attach\r');
    await until(async () => (await outputOf('cat1')).includes('before-attach'), 'early output');

    const viewer = stack.client();
    await connected(viewer);
    const view = new ViewRecorder(viewer, 'cat1');
    const result = await attach(viewer, { name: 'cat1' });
    expect(result).toMatchObject({ ok: true, mode: 'snapshot', driver: viewer.id });
    await until(() => view.snapshots.length === 1, 'the snapshot');
    expect(view.snapshots[0].data).toContain('before-attach');

    stack.spawnManager.sendWorkerInput('cat1', 'live-line\r');
    await until(() => view.text.includes('live-line\r\nlive-line'), 'live output');
    await until(() => view.next === stack.spawnManager.getWorker('cat1')!.outputBytes, 'viewer at the end');
    expect(view.problems).toEqual([]);
    expect(view.text).toBe(await outputOf('cat1', view.snapshots[0].offset));
  });

  it('reattaching with since gets exactly the missing bytes: the concatenation equals the output from 0', async () => {
    await spawnCat('cat2');
    const first = stack.client();
    await connected(first);
    const view1 = new ViewRecorder(first, 'cat2', 0);
    expect(await attach(first, { name: 'cat2', since: 0 })).toMatchObject({ ok: true, mode: 'bytes' });
    stack.spawnManager.sendWorkerInput('cat2', 'one\r');
    await until(() => view1.text.includes('one\r\none'), 'first output');
    first.disconnect();
    const resumeAt = view1.next!;

    stack.spawnManager.sendWorkerInput('cat2', 'two-while-away\r');
    await until(async () => (await outputOf('cat2')).includes('two-while-away\r\ntwo-while-away'), 'output while away');

    const second = stack.client();
    await connected(second);
    const view2 = new ViewRecorder(second, 'cat2', resumeAt);
    expect(await attach(second, { name: 'cat2', since: resumeAt })).toMatchObject({ ok: true, mode: 'bytes' });
    stack.spawnManager.sendWorkerInput('cat2', 'three\r');
    await until(() => view2.text.includes('three\r\nthree'), 'live after reattach');
    await until(() => view2.next === stack.spawnManager.getWorker('cat2')!.outputBytes, 'second viewer at the end');

    expect(view1.problems).toEqual([]);
    expect(view2.problems).toEqual([]);
    expect(view2.snapshots).toEqual([]);
    expect(view1.text + view2.text).toBe(await outputOf('cat2', 0));
  });

  it('an offset beyond the output (a restarted daemon) gets a snapshot instead', async () => {
    await spawnCat('cat3');
    const viewer = stack.client();
    await connected(viewer);
    const view = new ViewRecorder(viewer, 'cat3');
    expect(await attach(viewer, { name: 'cat3', since: 10_000_000 })).toMatchObject({ ok: true, mode: 'snapshot' });
    await until(() => view.snapshots.length === 1, 'the snapshot');
  });

  it('a worker that exits delivers all its output before worker:exit, and can still be attached afterwards', async () => {
    const viewer = stack.client();
    await connected(viewer);
    const events: string[] = [];
    const view = new ViewRecorder(viewer, 'short', 0);
    viewer.on('worker:output', () => events.push('output'));
    viewer.on('worker:exit', (info) => info.name === 'short' && events.push(`exit:${info.exitCode}`));
    await stack.spawnManager.spawn({ name: 'short', cli: 'sh', args: ['-c', 'read go; yes last-words | head -c 200000; echo; echo THE-END; exit 3'] });
    expect(await attach(viewer, { name: 'short', since: 0 })).toMatchObject({ ok: true, mode: 'bytes' });
    stack.spawnManager.sendWorkerInput('short', 'go\r');
    await until(() => events.includes('exit:3'), 'worker:exit');
    expect(events.indexOf('exit:3')).toBe(events.length - 1);
    expect(view.tail()).toContain('THE-END');
    expect(view.next).toBe(stack.spawnManager.getWorker('short')!.outputBytes);
    expect(view.problems).toEqual([]);

    const late = stack.client();
    await connected(late);
    const lateView = new ViewRecorder(late, 'short');
    expect(await attach(late, { name: 'short' })).toMatchObject({ ok: true, mode: 'snapshot', worker: { status: 'exited' } });
    await until(() => lateView.snapshots[0]?.data.includes('THE-END'), 'a snapshot of the final screen');
  });

  it('pushes worker list, status and message events without polling', async () => {
    const viewer = stack.client();
    await connected(viewer);
    const lists: string[][] = [];
    const messages: string[] = [];
    viewer.on('workers', (workers) => lists.push(workers.map((w) => w.name)));
    viewer.on('message', (m) => messages.push(`${m.from}->${m.to}:${m.body}`));
    await spawnCat('cat4');
    await until(() => lists.some((names) => names.includes('cat4')), 'a workers event with the new worker');
    stack.router.sendAs('Dashboard', 'cat4', 'hello worker');
    await until(() => messages.includes('Dashboard->cat4:hello worker'), 'the message event');
  });
});
