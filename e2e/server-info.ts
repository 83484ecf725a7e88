import { readFileSync } from 'node:fs';

/**
 * How a spec reaches the server e2e/global-setup.ts started: the tokened URL, the origin, the token,
 * and the temp project and AGENT_RELAY_HOME it runs in. Also written as JSON to the file named by
 * AGENT_RELAY_E2E_INFO, for tools that do not inherit the environment.
 */
export interface E2eServerInfo {
  /** `http://127.0.0.1:<port>/?token=…`, as `agent-relay up` prints it. */
  url: string;
  /** `http://127.0.0.1:<port>` (also Playwright's baseURL). */
  origin: string;
  token: string;
  /** The temp project the server runs for (workers' default cwd; `.agent-relay/` inside). */
  projectRoot: string;
  /** The temp AGENT_RELAY_HOME (marker). */
  home: string;
  socketPath: string;
  pid: number;
}

export function serverInfo(): E2eServerInfo {
  const path = process.env.AGENT_RELAY_E2E_INFO;
  if (!path) throw new Error('AGENT_RELAY_E2E_INFO is not set: run the specs through `npx playwright test` so e2e/global-setup.ts starts the server.');
  return JSON.parse(readFileSync(path, 'utf8')) as E2eServerInfo;
}

/** Headers for calling the HTTP API from a spec with `request` (Bearer token, our own Origin). */
export function apiHeaders(info = serverInfo()): Record<string, string> {
  return { Authorization: `Bearer ${info.token}`, Origin: info.origin };
}
