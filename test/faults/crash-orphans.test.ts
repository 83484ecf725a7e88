import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { WORKER_ID_ENV, bootId, readStat } from '../../server/spawn/process-tree';
import { findSurvivors } from '../../server/spawn/survivors';
import { ensureProductionBuild, killAll, makeSandbox, runCli, type RelayProcess, type Sandbox } from '../server/helpers/relay-process';
import { eventually, killWorkerProcesses, workerProcesses } from './support/procs';

/**
 * Issue 10, defect 3: `kill -9` of the server left every worker's processes running under init;
 * the restarted server marked them exited, and releasing one answered `already-exited` while it
 * still ran. Against the real `agent-relay up` with its SQLite records: five live workers of
 * different kinds (one ignores SIGTERM and SIGHUP, one has a setsid child), `kill -9`, `up` again.
 */

const WORKERS = [
  { name: 'Cat', cli: 'cat' },
  { name: 'Sleeper', cli: 'bash', args: ['-c', 'sleep 1001'] },
  { name: 'Stubborn', cli: 'bash', args: ['-c', 'trap "" TERM HUP; sleep 1001 & while :; do wait; done'] },
  { name: 'Detached', cli: 'bash', args: ['-c', 'setsid sleep 1001 & wait'] },
  { name: 'Demo', cli: 'demo' },
];

let sandbox: Sandbox;
let dataDir: string;

beforeAll(async () => {
  await ensureProductionBuild();
}, 600_000);

afterAll(async () => {
  await killAll();
  if (sandbox) {
    killWorkerProcesses(dataDir);
    sandbox.cleanup();
  }
});

function up(): RelayProcess {
  return runCli(['up', '--port', '0', '--no-open', '--project', sandbox.projectRoot], sandbox);
}

async function request(client: RawClient, type: string, payload: unknown = {}) {
  const sent = env(type, payload);
  client.send(sent);
  return (await client.waitFor((f) => (f.payload as { replyTo?: string }).replyTo === sent.id || (f.id === sent.id && f.type.endsWith('_RESPONSE')), 15_000)).payload as Record<string, unknown>;
}

function stateOf(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return 'gone';
  }
}

interface Listed {
  name: string;
  status: string;
  lost?: { reason: string; at: number; ended: number };
}

describe('no orphans after a crash (issue 10, defect 3)', () => {
  it('a recorded pid now used by an unrelated process is left alone; the start time and the inherited worker id decide', async () => {
    const children: ChildProcess[] = [];
    try {
      // An unrelated process that happens to hold the recorded pid (and leads its own group).
      const stranger = spawn('sleep', ['1003'], { detached: true, stdio: 'ignore' });
      children.push(stranger);
      const marked = spawn('sleep', ['1003'], { detached: true, stdio: 'ignore', env: { ...process.env, [WORKER_ID_ENV]: 'feedfacecafe0001' } });
      children.push(marked);
      const strangerStat = await eventually(() => readStat(stranger.pid!), 'the stranger to start');
      await eventually(() => readStat(marked.pid!), 'the marked process to start');
      const tracking = {
        workerId: 'feedfacecafe0000', pgid: stranger.pid!, startTicks: strangerStat.startTicks - 1, bootId: bootId(),
        owner: { pid: 2 ** 22 + 1, startTicks: 1 }, containment: 'process-group' as const,
      };
      // Same pid, another start time: not the worker's guard, so neither it nor its group is touched.
      expect(findSurvivors(tracking)).toEqual([]);
      // The very process (pid and start time): it and its group are the worker's.
      expect(findSurvivors({ ...tracking, startTicks: strangerStat.startTicks }).map((p) => p.pid)).toEqual([stranger.pid]);
      // A process carrying the worker's id in its environment is the worker's wherever it went,
      // if it started after the worker (a pid from before cannot be a descendant).
      const byId = { ...tracking, workerId: 'feedfacecafe0001', startTicks: strangerStat.startTicks - 1 };
      expect(findSurvivors(byId).map((p) => p.pid)).toEqual([marked.pid]);
      // After a reboot nothing of the old run can be alive, whatever the pids say.
      expect(findSurvivors({ ...byId, bootId: 'another-boot' })).toEqual([]);
    } finally {
      for (const c of children) c.kill('SIGKILL');
    }
  });

  it('after kill -9 with 5 live workers, up ends every process of the old run and lists the 5 as lost, saying so once', async () => {
    sandbox = makeSandbox();
    dataDir = join(sandbox.projectRoot, '.agent-relay');
    const socketPath = join(dataDir, 'relay.sock');

    const first = up();
    await first.url;
    const lead = await RawClient.hello(socketPath, 'Lead');
    for (const spec of WORKERS) expect(await request(lead, 'SPAWN', spec)).toMatchObject({ success: true, name: spec.name });
    // Every worker runs, and its record (written within 500 ms of a change) says so.
    await eventually(() => workerProcesses(dataDir).filter((p) => p.cmdline[0] === 'sleep').length === 3, 'the three sleeps');
    await new Promise((r) => setTimeout(r, 1500));
    lead.close();

    first.kill('SIGKILL');
    await first.exited;
    // What the crash leaves: the workers' processes, still running with nobody to release them.
    const orphans = workerProcesses(dataDir);
    expect(orphans.length).toBeGreaterThanOrEqual(5);

    const second = up();
    await second.url;
    // up has ended them before it serves anyone: not one process of the old run is left.
    expect(workerProcesses(dataDir)).toEqual([]);
    // Each orphan is gone or a zombie (dead; reaping it is init's job, not ours).
    for (const p of orphans) expect(['gone', 'Z', 'X']).toContain(stateOf(p.pid));

    const client = await RawClient.hello(socketPath, 'Checker');
    const { workers } = (await request(client, 'LIST_WORKERS')) as unknown as { workers: Listed[] };
    for (const spec of WORKERS) {
      const w = workers.find((x) => x.name === spec.name);
      expect(w, spec.name).toMatchObject({ status: 'exited', lost: { reason: expect.stringMatching(/stopped without releasing/), ended: expect.any(Number) } });
    }
    expect(workers.filter((w) => w.lost).reduce((n, w) => n + w.lost!.ended, 0)).toBeGreaterThanOrEqual(5);
    // Releasing one now is the truth: it has exited, and nothing of it runs.
    expect(await request(client, 'RELEASE', { name: 'Stubborn' })).toMatchObject({ success: true, endedBy: 'already-exited' });
    client.close();

    // Said once, on start, on stderr (stdout stays the one URL line).
    const said = second.stderr().split('\n').filter((l) => /lost/.test(l));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/5 workers/);
    for (const spec of WORKERS) expect(said[0]).toContain(spec.name);

    // A clean restart does not repeat it: they were recorded as lost once.
    second.kill('SIGTERM');
    await second.exited;
    const third = up();
    await third.url;
    expect(third.stderr()).not.toMatch(/lost/);
    third.kill('SIGTERM');
    await third.exited;
  }, 180_000);
});
