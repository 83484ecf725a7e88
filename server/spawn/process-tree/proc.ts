import { readdirSync, readFileSync } from 'node:fs';

/**
 * What /proc says about processes (Linux). Every function answers undefined or an empty list
 * where /proc is missing or a process is gone or unreadable: callers treat that as "not there".
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** The foreground process group of the process's controlling terminal (field 8). */
  tpgid: number;
  /** R, S, D, Z (zombie: dead, not yet reaped), T, X… */
  state: string;
  /** Start time in clock ticks after boot (field 22): with the pid, it names one process for good. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat. The command name is in parentheses and may hold spaces or ')'. */
export function readStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const stat = { pid: Number(pid), state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]), session: Number(f[3]), tpgid: Number(f[5]), startTicks: Number(f[19]) };
  return Number.isFinite(stat.startTicks) ? stat : undefined;
}

/** Every process, as far as /proc shows them (zombies included: see isRunning). */
export function listProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const stat = readStat(entry);
    if (stat) out.push(stat);
  }
  return out;
}

/** Alive in the sense that matters here: a zombie is dead and holds nothing but its pid. */
export function isRunning(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** True while `pid` is the very process that started at `startTicks` (not a later reuse of the number). */
export function isSameProcess(pid: number, startTicks: number): boolean {
  const stat = readStat(pid);
  return isRunning(stat) && stat.startTicks === startTicks;
}

/** Whether the process's environment holds exactly `entry` ("NAME=value"). */
export function environHas(pid: number, entry: string): boolean {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return false;
  }
  const needle = Buffer.from(`${entry}\0`);
  let at = environ.indexOf(needle);
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(needle, at + 1);
  return at >= 0;
}

let cachedBootId: string | null | undefined;
/** Changes at every boot: a start time from another boot says nothing about the processes of this one. */
export function bootId(): string | undefined {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId ?? undefined;
}

/** Sends `signal` to `pid` only if it is still the process we identified; false when it was not. */
export function signalProcess(stat: Pick<ProcStat, 'pid' | 'startTicks'>, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(stat.pid, stat.startTicks)) return false;
  try {
    process.kill(stat.pid, signal);
    return true;
  } catch {
    return false;
  }
}
