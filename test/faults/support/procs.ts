import { readdirSync, readFileSync } from 'node:fs';

/**
 * Finding a test's processes by what they inherited: every worker's environment holds
 * AGENT_RELAY_OUTBOX=<dataDir>/outbox/<name>, and each test has its own temp dataDir, so an
 * environment entry under that directory marks a process as the test's (and no one else's, with
 * several engineers running the same tests on one machine). setsid and reparenting do not change
 * the environment, which is exactly what escapes a process-group kill.
 */

export interface TestProcess {
  pid: number;
  state: string;
  cmdline: string[];
}

function fieldsOf(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose environment has an entry starting with `envPrefix`. */
export function processesWithEnv(envPrefix: string): TestProcess[] {
  const out: TestProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let cmdline: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    if (!environ.split('\0').some((e) => e.startsWith(envPrefix))) continue;
    const fields = fieldsOf(entry);
    if (!fields || fields[0] === 'Z' || fields[0] === 'X') continue;
    out.push({ pid: Number(entry), state: fields[0], cmdline: cmdline.split('\0').filter(Boolean) });
  }
  return out;
}

/** The processes a sandbox's workers started: AGENT_RELAY_OUTBOX points into its data dir. */
export function workerProcesses(dataDir: string): TestProcess[] {
  return processesWithEnv(`AGENT_RELAY_OUTBOX=${dataDir}/outbox/`);
}

/** For afterAll: whatever a failed test left running is killed, so nothing outlives the run. */
export function killWorkerProcesses(dataDir: string): void {
  for (const p of workerProcesses(dataDir)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

export async function eventually<T>(check: () => T | undefined | false, what: string, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
