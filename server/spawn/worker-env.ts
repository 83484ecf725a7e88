import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The environment a worker starts with. The relay's own process environment is the base, minus
 * what belongs to how the relay itself was started: under `npm start` / `npx` npm adds ~28 `npm_*`
 * variables, INIT_CWD, and PATH entries for every `node_modules/.bin` from the relay's package up
 * to `/` (plus npm's node-gyp-bin). An agent that runs `npm` or a tool in its own project would
 * otherwise pick up the relay's npm config and the relay's tool versions first.
 * Likewise the markers a CI runner sets (CI, CONTINUOUS_INTEGRATION, GITHUB_ACTIONS, BUILD_ID…): a
 * worker is an interactive terminal a person watches, not a CI job, and the agent CLIs read these as
 * "no human here": Gemini CLI 0.61 with CI=true ignores its TTY and runs headless (exits 42, "No input
 * provided via stdin"), Claude Code skips its API-key dialog. Relayed from the relay's own start, they
 * would make the same worker behave differently under `agent-relay up` in a CI job
 * (docs/decisions/0012-worker-env-without-ci-markers.md).
 * The request's own env is the caller's explicit choice and is kept as given (set CI there to keep it).
 */

/** Variables CI runners set that programs read as "not interactive" (is-ci / ci-info / is-in-ci). */
const CI_MARKERS = new Set([
  'CI', 'CONTINUOUS_INTEGRATION', 'GITHUB_ACTIONS', 'GITLAB_CI', 'BUILDKITE', 'CIRCLECI', 'TRAVIS',
  'JENKINS_URL', 'BUILD_ID', 'BUILD_NUMBER', 'RUN_ID', 'TF_BUILD', 'TEAMCITY_VERSION', 'CODEBUILD_BUILD_ID',
]);

/** The relay's package root (this file is server/spawn/worker-env.ts). */
const RELAY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<dir>/node_modules/.bin` for `dir` and each of its ancestors. */
function binChain(dir: string): Set<string> {
  const out = new Set<string>();
  for (let d = resolve(dir); ; d = dirname(d)) {
    out.add(join(d, 'node_modules', '.bin'));
    if (dirname(d) === d) break;
  }
  return out;
}

export function cleanInheritedEnv(env: Record<string, string | undefined>, relayRoot = RELAY_ROOT): Record<string, string> {
  const startedByNpm = env.npm_lifecycle_event !== undefined || env.npm_execpath !== undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (startedByNpm && (key.startsWith('npm_') || key === 'INIT_CWD')) continue;
    // is-in-ci (Ink's, so Claude Code's and Gemini CLI's) also counts any CI_* variable as CI.
    if (CI_MARKERS.has(key) || key.startsWith('CI_')) continue;
    out[key] = value;
  }
  if (out.PATH) {
    const drop = binChain(relayRoot);
    if (env.npm_package_json) for (const d of binChain(dirname(env.npm_package_json))) drop.add(d);
    if (env.INIT_CWD) for (const d of binChain(env.INIT_CWD)) drop.add(d);
    out.PATH = out.PATH.split(delimiter)
      .filter((entry) => entry && !drop.has(resolve(entry)) && !entry.endsWith(`${sep}@npmcli${sep}run-script${sep}lib${sep}node-gyp-bin`))
      .join(delimiter);
  }
  return out;
}
