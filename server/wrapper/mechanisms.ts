import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMarker } from '../../lib/discovery';
import { dataDirFor } from '../../lib/paths';
import type { SpawnRequest } from '../../lib/protocol';
import type { RelayClient } from '../../lib/sdk';
import { MechanismUnavailableError, type ReleaseOptions, type SpawnReleaseMechanism } from './fallback';

/** The real mechanisms behind the fallback chain: the daemon through the SDK, and the dashboard's HTTP API. */

export const DEFAULT_DASHBOARD_URL = 'http://127.0.0.1:3888';

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

/** An HTTP error answer from the dashboard: a refusal, final like the daemon's. */
export class DashboardApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DashboardApiError';
  }
}

export interface DashboardTarget {
  baseUrl: string;
  token: string;
}

/**
 * Where the dashboard is and its token: the marker's dashboardUrl (even when its socket is dead: the
 * HTTP side may still answer) or the default port, and `<projectRoot>/.agent-relay/dashboard-token`.
 * Unavailable (not an error) when there is no token file: there is no dashboard to ask.
 */
export function findDashboard(projectRoot: string, env: NodeJS.ProcessEnv = process.env): DashboardTarget {
  const tokenFile = join(dataDirFor(projectRoot), 'dashboard-token');
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch {
    throw new MechanismUnavailableError(`no token at ${tokenFile}`);
  }
  const marker = readMarker(env);
  const url = marker?.dashboardUrl && (!marker.projectRoot || marker.projectRoot === projectRoot) ? marker.dashboardUrl : DEFAULT_DASHBOARD_URL;
  const parsed = new URL(url);
  return { baseUrl: parsed.origin, token };
}

async function call(target: () => DashboardTarget, method: string, path: string, body?: unknown): Promise<any> {
  const { baseUrl, token } = target();
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      // A program sends the token and no Origin (server/security: only browsers must send one).
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) {
    throw new DashboardApiError(response.status, json?.error?.code ?? `HTTP_${response.status}`, json?.error?.message ?? `The dashboard answered ${response.status}.`);
  }
  return json;
}

/** The dashboard HTTP API (POST /api/workers, DELETE /api/workers/:name), with its bearer token. */
export function dashboardMechanism(projectRoot: string, env: NodeJS.ProcessEnv = process.env): SpawnReleaseMechanism {
  const target = () => findDashboard(projectRoot, env);
  return {
    async spawn(request: SpawnRequest) {
      const info = await call(target, 'POST', '/api/workers', request);
      return { name: info.name ?? request.name, pid: info.pid };
    },
    async release(name: string, options: ReleaseOptions) {
      const query = options.force ? '?force=1' : '';
      const outcome = await call(target, 'DELETE', `/api/workers/${encodeURIComponent(name)}${query}`);
      return { name, exitCode: outcome.exitCode, signal: outcome.signal, endedBy: outcome.endedBy };
    },
  };
}
