import { randomBytes } from 'node:crypto';
import { logger } from '../../logger';
import type { WorkerTracking } from '../../../lib/protocol';
import { containment, type ContainmentMode, type WorkerCgroup } from './cgroup';
import { bootId, environHas, isRunning, isSameProcess, listProcesses, readStat, type ProcStat } from './proc';

/**
 * Every process a worker started, wherever it went: its cgroup when there is one, its process
 * group and session, and — without a cgroup — every process whose environment carries the
 * worker's random id (`AGENT_RELAY_WORKER_ID`, inherited across setsid and reparenting), plus
 * their descendants. Also the record a later run uses to recognise them after a crash.
 */

export const WORKER_ID_ENV = 'AGENT_RELAY_WORKER_ID';

/** Persisted with the worker (WorkerInfo.tracking): enough to find its processes again, and only them. */
export type TreeRecord = WorkerTracking;

let self: { pid: number; startTicks: number } | undefined;
export function relayIdentity(): { pid: number; startTicks: number } {
  self ??= { pid: process.pid, startTicks: readStat(process.pid)?.startTicks ?? 0 };
  return self;
}

export class ProcessTree {
  readonly workerId = randomBytes(8).toString('hex');
  readonly mode: ContainmentMode;
  private cgroup: WorkerCgroup | undefined;
  private guard: { pid: number; startTicks: number } | undefined;
  /** False once the group was seen empty after exit: its id may then be reused by someone else. */
  private groupOwned = false;
  private warnedUnjoined = false;
  private startedAt = 0;

  constructor() {
    const c = containment();
    this.cgroup = c.create(this.workerId);
    this.mode = this.cgroup ? c.mode : 'process-group';
    if (c.mode !== 'process-group' && !this.cgroup) logger.warn({ mode: c.mode }, 'could not create a cgroup for a worker; using the process group and a /proc sweep');
  }

  get env(): Record<string, string> {
    return { [WORKER_ID_ENV]: this.workerId };
  }

  /** Handed to the guard shell, which joins it before running the command. */
  get joinFile(): string | undefined {
    return this.cgroup?.joinFile;
  }

  get wrapper(): string[] | undefined {
    return this.cgroup?.wrapper;
  }

  /** The guard started with this pid. */
  started(pid: number): void {
    this.startedAt = Date.now();
    this.guard = { pid, startTicks: readStat(pid)?.startTicks ?? 0 };
    this.groupOwned = true;
  }

  record(): TreeRecord | undefined {
    if (!this.guard) return undefined;
    return {
      workerId: this.workerId, pgid: this.guard.pid, startTicks: this.guard.startTicks, bootId: bootId(),
      owner: relayIdentity(), containment: this.mode, ...(this.cgroup ? { cgroup: { ...this.cgroup.record } } : {}),
    };
  }

  /** Every running process of the worker now, the guard included while it runs. */
  members(): ProcStat[] {
    const found = new Map<number, ProcStat>();
    const processes = listProcesses();
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    const cgroupPids = this.cgroup?.pids() ?? [];
    for (const pid of cgroupPids) {
      const stat = byPid.get(pid) ?? readStat(pid);
      if (stat) found.set(pid, stat);
    }
    const g = this.guard;
    if (g) {
      // The guard joins the cgroup before it starts the command. If it is running and not in it
      // (joining failed, or it has not got that far yet), the cgroup alone cannot be trusted.
      const unjoined = this.cgroup !== undefined && this.cgroup.record.mode !== 'systemd-scope' && !cgroupPids.includes(g.pid) && isSameProcess(g.pid, g.startTicks);
      // Right after the spawn the guard may simply not have got there yet: only later is it news.
      if (unjoined && !this.warnedUnjoined && Date.now() - this.startedAt > 1000) {
        this.warnedUnjoined = true;
        logger.warn({ cgroup: this.cgroup?.record.path, pid: g.pid }, 'a worker is not in its cgroup; its processes are also found through the process group and a /proc sweep');
      }
      const sweepEnv = !this.cgroup || unjoined;
      const entry = `${WORKER_ID_ENV}=${this.workerId}`;
      for (const p of processes) {
        if (found.has(p.pid)) continue;
        const inGroup = this.groupOwned && (p.pgrp === g.pid || p.session === g.pid);
        // Only processes started after the guard can be its descendants: the rest need no environ read.
        if (inGroup || (sweepEnv && p.startTicks >= g.startTicks && environHas(p.pid, entry))) found.set(p.pid, p);
      }
      if (this.groupOwned && !isSameProcess(g.pid, g.startTicks) && !processes.some((p) => isRunning(p) && (p.pgrp === g.pid || p.session === g.pid))) {
        // The guard is gone and its group is empty: from now on the id may be someone else's.
        this.groupOwned = false;
      }
      // Descendants of what was found (a child that cleared its environment, e.g. `env -i`).
      if (sweepEnv) {
        let added = true;
        while (added) {
          added = false;
          for (const p of processes) {
            if (!found.has(p.pid) && found.has(p.ppid)) {
              found.set(p.pid, p);
              added = true;
            }
          }
        }
      }
    }
    return [...found.values()].filter(isRunning);
  }

  /** Signals every member (optionally all but the guard, so it can still drain the output). */
  signal(signal: NodeJS.Signals, options: { exceptGuard?: boolean } = {}): number {
    let sent = 0;
    for (const p of this.members()) {
      if (options.exceptGuard && this.guard && p.pid === this.guard.pid) continue;
      if (!isSameProcess(p.pid, p.startTicks)) continue;
      try {
        process.kill(p.pid, signal);
        sent++;
      } catch {
        // Exited meanwhile.
      }
    }
    return sent;
  }

  /** SIGKILL everything at once: the cgroup (no fork can slip through), then each member found. */
  killAll(): void {
    this.cgroup?.killAll();
    this.signal('SIGKILL');
  }

  /**
   * After the worker exited: what it left running (background jobs, setsid daemons) gets SIGTERM,
   * `termMs` to leave, then SIGKILL until none is left (bounded by `timeoutMs`). The cgroup is
   * removed. True when nothing is left.
   */
  async reap(options: { termMs?: number; timeoutMs?: number } = {}): Promise<boolean> {
    const termMs = options.termMs ?? 500;
    const deadline = Date.now() + (options.timeoutMs ?? 2000) + termMs;
    if (this.members().length > 0) {
      this.signal('SIGTERM');
      const termUntil = Date.now() + termMs;
      while (this.members().length > 0 && Date.now() < termUntil) await sleep(20);
    }
    while (this.members().length > 0) {
      if (Date.now() > deadline) return false;
      this.killAll();
      await sleep(20);
    }
    this.groupOwned = false;
    this.dispose();
    return true;
  }

  /** Removes the cgroup when it is empty (after a natural exit that left nothing behind). */
  dispose(): void {
    if (this.cgroup && this.cgroup.pids().length === 0) this.cgroup.remove();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
