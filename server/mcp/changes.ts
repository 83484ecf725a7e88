import { DashboardApiError, DashboardUnavailableError, dashboardAccess, dashboardRequest, type DashboardAccess } from '../../lib/discovery';
import { projectRootOfSocket } from '../../lib/paths';
import type { Changes, StatusResponse } from '../../lib/protocol';

/**
 * relay_changes: a worker's worktree changes, read from the dashboard's HTTP API (git runs in the relay,
 * beside the worktrees it made), found through the daemon's STATUS and the project's token file
 * (lib/discovery/dashboard.ts).
 */

export class ChangesUnavailableError extends Error {
  constructor(
    message: string,
    readonly code = 'UNAVAILABLE',
  ) {
    super(message);
  }
}

export async function fetchChanges(status: StatusResponse, name: string, file?: string): Promise<Changes> {
  let access: DashboardAccess;
  try {
    access = dashboardAccess({ dashboardUrl: status.dashboardUrl, projectRoot: status.projectRoot ?? projectRootOfSocket(status.socketPath), socketPath: status.socketPath });
  } catch (err) {
    if (err instanceof DashboardUnavailableError) throw new ChangesUnavailableError(err.message);
    throw err;
  }
  const q = file ? `?file=${encodeURIComponent(file)}` : '';
  let res: Response;
  try {
    res = await dashboardRequest(access, 'GET', `/api/workers/${encodeURIComponent(name)}/changes${q}`);
  } catch (err) {
    if (err instanceof DashboardApiError) throw new ChangesUnavailableError(err.message, err.code);
    throw err;
  }
  const body = (await res.json().catch(() => null)) as Changes | null;
  if (!body) throw new ChangesUnavailableError(`The dashboard answered HTTP ${res.status} without the changes (no JSON body).`, `HTTP_${res.status}`);
  return body;
}

/** What a reviewing model reads: the summary, then the diff, cut to `maxChars`. */
export function formatChanges(c: Changes, maxChars: number): string {
  const head = [
    `${c.name} works on ${c.branch} (worktree ${c.path}), against ${c.base.branch ?? c.base.ref} at ${c.base.commit.slice(0, 10)}.`,
    `${c.files.length} file(s) changed, +${c.additions} -${c.deletions}; ${c.ahead} commit(s)${c.uncommitted ? ', and uncommitted changes' : ''}; ${c.unmerged ? 'not merged yet' : 'nothing left to merge'}.`,
    ...c.files.map((f) => `- ${f.status} ${f.oldPath ? `${f.oldPath} -> ` : ''}${f.path} (${f.binary ? 'binary' : `+${f.additions} -${f.deletions}`})`),
    ...(c.commits.length ? ['Commits:', ...c.commits.slice(0, 20).map((k) => `- ${k.sha.slice(0, 10)} ${k.subject}`)] : []),
  ].join('\n');
  if (!c.diff) return head;
  const diff = c.diff.length > maxChars ? `${c.diff.slice(0, maxChars)}\n… (diff cut at ${maxChars} characters; ask for one file with file=…)` : c.diff;
  return `${head}\n\n${diff}`;
}
