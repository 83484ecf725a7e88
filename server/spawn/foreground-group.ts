import { readStat } from './process-tree/proc';

/**
 * The terminal's foreground process group of the session led by `sessionLeader`, when it is not
 * the leader's own group. A job-control shell (interactive bash, zsh) moves itself and each job
 * into groups of their own, out of reach of a signal to the worker's group; closing a terminal
 * hangs up exactly this group, so release does the same. Linux only (/proc); undefined elsewhere
 * or when the foreground group is the leader's.
 */
export function foreignForegroundGroup(sessionLeader: number): number | undefined {
  const stat = readStat(sessionLeader);
  if (!stat) return undefined;
  const { session, tpgid } = stat;
  if (session !== sessionLeader || !Number.isInteger(tpgid) || tpgid <= 0 || tpgid === sessionLeader) return undefined;
  return tpgid;
}
