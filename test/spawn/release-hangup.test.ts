import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { exitOf, makeFixture, outputText, waitFor, type SpawnFixture } from './helpers';

let fx: SpawnFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** Live (non-zombie) processes whose session is `sid`. */
function sessionMembers(sid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[3]) === sid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return members;
}

describe('release of a job-control shell', () => {
  it('hangs up an interactive bash (its own process group, SIGTERM ignored) like a closing terminal, long before the grace period', async () => {
    // A grace period far longer than the test: only the hangup can end the shell in time.
    fx = makeFixture({ releaseGraceMs: 120_000 });
    const m = fx.manager;
    await m.spawn({ name: 'ish', cli: 'bash', args: ['--norc', '--noprofile', '-i'] });
    m.sendWorkerInput('ish', 'sleep 1000 & echo job-started\r');
    await waitFor(async () => (await outputText(m, 'ish')).includes('job-started'), 10_000, 'job started');
    const sid = m.getWorker('ish')!.pid!;
    expect(sessionMembers(sid).length).toBeGreaterThanOrEqual(3); // guard, bash, sleep

    const outcome = await m.release('ish');
    expect(outcome.endedBy).toBe('SIGHUP');
    expect((await exitOf(m, 'ish')).status).toBe('exited');
    // The shell passed the hangup on to its job: nothing of the worker's session is left.
    await waitFor(() => sessionMembers(sid).length === 0, 10_000, 'session empty');
  }, 60_000);

  it('still escalates to SIGKILL for a program in the worker group that ignores SIGTERM (no hangup sent to it)', async () => {
    fx = makeFixture({ releaseGraceMs: 300 });
    const m = fx.manager;
    await m.spawn({ name: 'stub', cli: 'bash', args: ['-c', 'trap "" TERM; echo ready; sleep 100'] });
    await waitFor(async () => (await outputText(m, 'stub')).includes('ready'), 10_000, 'ready');
    expect(await m.release('stub')).toMatchObject({ endedBy: 'SIGKILL', signal: 'SIGKILL' });
  });
});
