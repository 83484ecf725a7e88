import type { WorkerInfo, WorkerTracking } from '../../lib/protocol';
import { logger } from '../logger';
import {
  WORKER_ID_ENV, bootId, cgroupAt, environHas, isRunning, isSameProcess, listProcesses, readStat, signalProcess, type ProcStat,
} from './process-tree';

/**
 * Crash recovery: a relay killed with SIGKILL (or a crash, or an OOM kill) cannot release its
 * workers, and their processes go on running under init. The next `up` finds them from the worker
 * records (WorkerInfo.tracking), ends them — SIGTERM, then SIGKILL after a grace period — and
 * records the workers as lost, with the reason.
 *
 * A pid alone proves nothing: the number may have been reused by an unrelated process since. A
 * process counts as the worker's only if it is in the worker's cgroup (a directory we created,
 * named by the worker's random id), or it is the guard itself with the recorded start time, or it is
 * in the process group or session of that verified guard, or its environment holds the worker's
 * random AGENT_RELAY_WORKER_ID; and descendants of those.
 */

export interface RecoveryReport {
  /** Workers the previous run left without releasing them, now recorded as lost. */
  lost: { name: string; ended: number }[];
  /** Processes ended in all (lost workers, and what exited workers had left running). */
  ended: number;
  /** Processes that were still there after SIGKILL (should be 0). */
  remaining: number;
}

/** The worker's processes still running now. Empty after a reboot or when nothing survived. */
export function findSurvivors(tracking: WorkerTracking, processes: ProcStat[] = listProcesses()): ProcStat[] {
  const now = bootId();
  if (tracking.bootId && now && tracking.bootId !== now) return [];
  const found = new Map<number, ProcStat>();
  const running = processes.filter(isRunning);
  const byPid = new Map(running.map((p) => [p.pid, p]));
  if (tracking.cgroup) {
    try {
      for (const pid of cgroupAt({ ...tracking.cgroup }).pids()) {
        const stat = byPid.get(pid) ?? readStat(pid);
        if (isRunning(stat)) found.set(pid, stat);
      }
    } catch {
      // No such cgroup any more.
    }
  }
  const leaderIsOurs = isSameProcess(tracking.pgid, tracking.startTicks);
  const entry = `${WORKER_ID_ENV}=${tracking.workerId}`;
  for (const p of running) {
    if (found.has(p.pid) || p.pid === process.pid) continue;
    if (leaderIsOurs && (p.pid === tracking.pgid || p.pgrp === tracking.pgid || p.session === tracking.pgid)) found.set(p.pid, p);
    else if (p.startTicks >= tracking.startTicks && environHas(p.pid, entry)) found.set(p.pid, p);
  }
  for (let added = true; added; ) {
    added = false;
    for (const p of running) {
      if (!found.has(p.pid) && found.has(p.ppid) && p.pid !== process.pid) {
        found.set(p.pid, p);
        added = true;
      }
    }
  }
  return [...found.values()];
}

/** True while the relay that ran the worker is still running (then its processes are not ours to end). */
export function ownerAlive(tracking: WorkerTracking): boolean {
  return isSameProcess(tracking.owner.pid, tracking.owner.startTicks);
}

interface Pending {
  tracking: WorkerTracking;
  processes: ProcStat[];
}

/**
 * Marks the records the previous run left unreleased as lost (synchronously, so the SpawnManager
 * lists them as such from its first moment), sends SIGTERM to every survivor, and returns the rest
 * of the job: wait up to `graceMs`, SIGKILL what is left, remove the cgroups.
 */
export function recoverRecords(records: WorkerInfo[], options: { graceMs?: number } = {}): { records: WorkerInfo[]; done: Promise<RecoveryReport> } {
  const processes = listProcesses();
  const pending: Pending[] = [];
  const lost: RecoveryReport['lost'] = [];
  const out = records.map((record) => {
    const info: WorkerInfo = { ...record };
    const tracking = info.tracking;
    const live = info.status !== 'exited';
    if (tracking && ownerAlive(tracking)) {
      // Another relay (or this very process) still runs them: never touch another owner's workers.
      if (live) Object.assign(info, { status: 'exited', exitedAt: info.exitedAt ?? Date.now(), exitCode: info.exitCode ?? null, signal: info.signal ?? null });
      return info;
    }
    if (!live && (!tracking || tracking.done)) return info;
    const survivors = tracking ? findSurvivors(tracking, processes) : [];
    if (tracking) {
      for (const p of survivors) signalProcess(p, 'SIGTERM');
      pending.push({ tracking, processes: survivors });
      info.tracking = { ...tracking, done: true };
    }
    if (live) {
      Object.assign(info, { status: 'exited', exitedAt: Date.now(), exitCode: null, signal: survivors.length ? 'SIGTERM' : null, needsAttention: true });
      info.lost = { reason: lostReason(tracking, survivors.length), at: Date.now(), ended: survivors.length };
      lost.push({ name: info.name, ended: survivors.length });
    }
    return info;
  });
  return { records: out, done: finish(pending, lost, options.graceMs ?? 2000) };
}

function lostReason(tracking: WorkerTracking | undefined, ended: number): string {
  const base = 'agent-relay stopped without releasing it (the previous run crashed or was killed)';
  if (!tracking) return `${base}; its processes could not be identified (a record from an older version): check for leftovers yourself`;
  const now = bootId();
  if (tracking.bootId && now && tracking.bootId !== now) return `${base}; the machine has restarted since, so none of its processes survived`;
  if (ended === 0) return `${base}; none of its processes were still running`;
  return `${base}; ${ended} of its processes were still running and were ended at the next start (SIGTERM, then SIGKILL)`;
}

async function finish(pending: Pending[], lost: RecoveryReport['lost'], graceMs: number): Promise<RecoveryReport> {
  const ended = pending.reduce((n, p) => n + p.processes.length, 0);
  const alive = () => pending.flatMap((p) => p.processes.filter((s) => isSameProcess(s.pid, s.startTicks)));
  const termUntil = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < termUntil) await sleep(50);
  const killUntil = Date.now() + 2000;
  for (;;) {
    // Anything new (forked during the grace period) is found again by the same rules.
    const left = pending.flatMap((p) => findSurvivors(p.tracking));
    if (left.length === 0 || Date.now() > killUntil) {
      for (const p of pending) if (p.tracking.cgroup) removeCgroup(p.tracking);
      if (left.length) logger.error({ pids: left.map((p) => p.pid) }, 'processes of the previous run are still running after SIGKILL');
      return { lost, ended, remaining: left.length };
    }
    for (const p of pending) if (p.tracking.cgroup) killCgroup(p.tracking);
    for (const p of left) signalProcess(p, 'SIGKILL');
    await sleep(20);
  }
}

function killCgroup(tracking: WorkerTracking): void {
  try {
    cgroupAt({ ...tracking.cgroup! }).killAll();
  } catch {
    // Gone already.
  }
}

function removeCgroup(tracking: WorkerTracking): void {
  try {
    cgroupAt({ ...tracking.cgroup! }).remove();
  } catch {
    // Gone already.
  }
}

/** The one line `up` prints about it (stderr), or undefined when there was nothing to recover. */
export function describeRecovery(report: RecoveryReport): string | undefined {
  if (report.lost.length === 0 && report.ended === 0) return undefined;
  const names = report.lost.map((l) => l.name).join(', ');
  const workers = report.lost.length === 1 ? '1 worker' : `${report.lost.length} workers`;
  const procs = report.ended === 1 ? '1 process' : `${report.ended} processes`;
  const head = report.lost.length
    ? `agent-relay: the previous run stopped without releasing ${workers} (${names}); they are listed as lost`
    : 'agent-relay: the previous run stopped without cleaning up after exited workers';
  const tail = report.ended ? `; ${procs} still running from it were ended (SIGTERM, then SIGKILL)` : '; none of their processes were still running';
  const stuck = report.remaining ? `; ${report.remaining} could not be ended (see the log)` : '';
  return `${head}${tail}${stuck}.`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
