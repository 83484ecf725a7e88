import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, env } from '../daemon/helpers';
import { ensureProductionBuild, killAll, makeSandbox, runCli, startUp, type Sandbox } from './helpers/relay-process';

/**
 * `agent-relay down` against the real production server leaves no process behind in any worker's
 * process group: a worker that ignores SIGTERM, one with a background grandchild, and a plain one.
 * WorkerInfo.pid is the process-group leader (node-pty makes each worker a session leader).
 */

interface ProcEntry {
  pid: number;
  pgrp: number;
  state: string;
}

/** Every process on the machine with its process group, from /proc/<pid>/stat. */
function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
    } catch {
      continue; // exited while we listed
    }
    // The command name is in parentheses and may hold spaces: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({ pid: Number(entry), state: fields[0], pgrp: Number(fields[2]) });
  }
  return out;
}

/** Processes still running (zombies are dead, only not yet reaped) in any of `groups`. */
function liveIn(groups: Set<number>): ProcEntry[] {
  return processes().filter((p) => groups.has(p.pgrp) && p.state !== 'Z');
}

async function eventually<T>(check: () => T | undefined, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let sandbox: Sandbox;
const groups = new Set<number>();

beforeAll(async () => {
  await ensureProductionBuild();
}, 600_000);

afterAll(async () => {
  await killAll();
  // Never leave a test's workers behind, whatever failed above.
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone: what the test wants.
    }
  }
  sandbox?.cleanup();
});

describe('agent-relay down', () => {
  it('leaves no process in any worker process group, including one ignoring SIGTERM and a background grandchild', async () => {
    sandbox = makeSandbox();
    const server = startUp(sandbox);
    await server.url;
    const socketPath = join(sandbox.projectRoot, '.agent-relay', 'relay.sock');
    const lead = await RawClient.hello(socketPath, 'Lead');
    const specs = [
      { name: 'Stubborn', cli: 'bash', args: ['-c', 'trap "" TERM; sleep 1000'] },
      { name: 'Parent', cli: 'bash', args: ['-c', 'sleep 1000 & wait'] },
      { name: 'Plain', cli: 'cat' },
    ];
    const pids: number[] = [];
    for (const spec of specs) {
      const request = env('SPAWN', spec);
      lead.send(request);
      const result = await lead.waitFor((f) => f.type === 'SPAWN_RESULT' && (f.payload as { replyTo?: string }).replyTo === request.id, 15_000);
      expect(result.payload).toMatchObject({ success: true, name: spec.name, pid: expect.any(Number) });
      pids.push((result.payload as { pid: number }).pid);
    }
    for (const pid of pids) groups.add(pid);
    lead.close();

    // Each group holds its leader, and the `sleep`s have started (bash forks them).
    await eventually(() => (liveIn(new Set([pids[0]])).length >= 2 && liveIn(new Set([pids[1]])).length >= 2 ? true : undefined), 'the workers and their sleeps to start');
    const before = liveIn(groups);
    expect(before.length).toBeGreaterThanOrEqual(5);

    const down = runCli(['down', '--project', sandbox.projectRoot], sandbox);
    expect((await down.exited).code).toBe(0);
    expect(await server.exited).toEqual({ code: 0, signal: null });

    expect(liveIn(groups)).toEqual([]);
    for (const pgid of groups) {
      expect(() => process.kill(-pgid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
    for (const p of before) {
      const stillThere = processes().find((q) => q.pid === p.pid && q.state !== 'Z');
      expect(stillThere).toBeUndefined();
    }
  }, 120_000);
});
