import { DashboardApiError, DashboardUnavailableError, dashboardAccess, dashboardRequest, readMarker, type DashboardAccess } from '../../lib/discovery';
import type { ReleaseOutcome, SpawnRequest, WorkerInfo } from '../../lib/protocol';
import type { RelayClient } from '../../lib/sdk';
import { MechanismUnavailableError, type ReleaseOptions, type SpawnReleaseMechanism } from './fallback';

/** The real mechanisms behind the fallback chain: the daemon through the SDK, and the dashboard's HTTP API. */

export const DEFAULT_DASHBOARD_URL = 'http://127.0.0.1:3888';

/** An HTTP error answer from the dashboard: a refusal, final like the daemon's (lib/discovery/dashboard.ts). */
export { DashboardApiError };

/**
 * The daemon via an SDK client. `connected` returns the client once it is connected, or throws a
 * transport error: the caller owns connecting, so two connects never race under one agent name.
 */
export function daemonMechanism(connected: () => Promise<RelayClient>): SpawnReleaseMechanism {
  return {
    async spawn(request) {
      const outcome = await (await connected()).spawn(request);
      return { name: outcome.name, pid: outcome.pid };
    },
    async release(name, options) {
      return (await connected()).release(name, options);
    },
  };
}

/**
 * Where the dashboard is and its token: the marker's dashboardUrl (even when its socket is dead: the
 * HTTP side may still answer) or the default port, and the project's token file (lib/discovery).
 * Unavailable (not an error) when there is no token file: there is no dashboard to ask.
 */
export function findDashboard(projectRoot: string, env: NodeJS.ProcessEnv = process.env): DashboardAccess {
  const marker = readMarker(env);
  const url = marker?.dashboardUrl && (!marker.projectRoot || marker.projectRoot === projectRoot) ? marker.dashboardUrl : DEFAULT_DASHBOARD_URL;
  try {
    return dashboardAccess({ dashboardUrl: url, projectRoot });
  } catch (err) {
    if (err instanceof DashboardUnavailableError) throw new MechanismUnavailableError(err.file ? `no token at ${err.file}` : err.message);
    throw err;
  }
}

/** A call with the token; the answer's JSON (an empty body is `{}`). */
async function call<T>(projectRoot: string, env: NodeJS.ProcessEnv, method: string, path: string, body?: unknown): Promise<Partial<T>> {
  const response = await dashboardRequest(findDashboard(projectRoot, env), method, path, body);
  const text = await response.text();
  return text ? (JSON.parse(text) as Partial<T>) : {};
}

/** The dashboard HTTP API (POST /api/workers, DELETE /api/workers/:name), with its bearer token. */
export function dashboardMechanism(projectRoot: string, env: NodeJS.ProcessEnv = process.env): SpawnReleaseMechanism {
  return {
    async spawn(request: SpawnRequest) {
      const info = await call<WorkerInfo>(projectRoot, env, 'POST', '/api/workers', request);
      return { name: info.name ?? request.name, pid: info.pid };
    },
    async release(name: string, options: ReleaseOptions) {
      const query = options.force ? '?force=1' : '';
      const outcome = await call<ReleaseOutcome>(projectRoot, env, 'DELETE', `/api/workers/${encodeURIComponent(name)}${query}`);
      return { name, exitCode: outcome.exitCode, signal: outcome.signal, endedBy: outcome.endedBy };
    },
  };
}
