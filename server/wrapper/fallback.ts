import type { SpawnRequest } from '../../lib/protocol';
import { errorCode, isUnreachableError } from '../../lib/sdk/errors';

/**
 * Spawn and release for a wrapped agent (product.md §8), tried in order:
 *   1. the daemon (SDK), 2. the dashboard HTTP API, only when the daemon cannot be reached,
 *   3. an onSpawn/onRelease callback, only when the dashboard cannot be reached either.
 * A refusal (policy, name taken, unknown worker) is an answer, not an outage: it is thrown as is and
 * never tried elsewhere, or a denied spawn would sneak through another door. With nothing left, both
 * spawn and release throw, naming what was tried.
 * The mechanisms are injected so each branch is tested on its own (test/wrapper/fallback.test.ts).
 */

export interface SpawnedVia {
  name: string;
  pid?: number;
  via: MechanismName;
}

export interface ReleasedVia {
  name: string;
  exitCode?: number | null;
  signal?: string | null;
  endedBy?: string;
  via: MechanismName;
}

export interface ReleaseOptions {
  force?: boolean;
  reason?: string;
}

export interface SpawnReleaseMechanism {
  spawn(request: SpawnRequest): Promise<{ name: string; pid?: number }>;
  release(name: string, options: ReleaseOptions): Promise<Omit<ReleasedVia, 'via'>>;
}

export type MechanismName = 'daemon' | 'dashboard' | 'callback';

export interface FallbackChainOptions {
  daemon?: SpawnReleaseMechanism;
  dashboard?: SpawnReleaseMechanism;
  onSpawn?: (request: SpawnRequest) => Promise<{ name: string; pid?: number } | void> | { name: string; pid?: number } | void;
  onRelease?: (name: string, options: ReleaseOptions) => Promise<unknown> | unknown;
}

/** Thrown by a mechanism (or recognised from an error code) when it cannot be reached at all. */
export class MechanismUnavailableError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'MechanismUnavailableError';
  }
}

export class NoMechanismError extends Error {
  readonly code = 'NO_MECHANISM';
  constructor(
    readonly action: 'spawn' | 'release',
    readonly tried: Record<MechanismName, string>,
  ) {
    const detail = (Object.keys(tried) as MechanismName[]).map((k) => `${k}=${tried[k]}`).join(', ');
    super(`No ${action} mechanism available (${detail}). Start the daemon with: agent-relay up`);
    this.name = 'NoMechanismError';
  }
}

/**
 * True for an outage (try the next mechanism); false for an answer (final): a mechanism that says it
 * is unavailable, or an error that means the daemon or dashboard could not be reached (lib/sdk).
 */
export function isTransportError(err: unknown): boolean {
  return err instanceof MechanismUnavailableError || isUnreachableError(err);
}

function describeOutage(err: unknown): string {
  const code = errorCode(err) ?? errorCode((err as { cause?: unknown }).cause);
  return code ? `unreachable (${code})` : `unreachable (${(err as Error).message})`;
}

export class FallbackChain {
  constructor(private readonly options: FallbackChainOptions) {}

  async spawn(request: SpawnRequest): Promise<SpawnedVia> {
    return this.run('spawn', async (mechanism) => mechanism.spawn(request), async () => {
      const result = await this.options.onSpawn!(request);
      return { name: request.name, ...(result ?? {}) };
    }, this.options.onSpawn !== undefined);
  }

  async release(name: string, options: ReleaseOptions = {}): Promise<ReleasedVia> {
    return this.run('release', async (mechanism) => mechanism.release(name, options), async () => {
      await this.options.onRelease!(name, options);
      return { name };
    }, this.options.onRelease !== undefined);
  }

  private async run<T extends object>(
    action: 'spawn' | 'release',
    viaMechanism: (m: SpawnReleaseMechanism) => Promise<T>,
    viaCallback: () => Promise<T>,
    hasCallback: boolean,
  ): Promise<T & { via: MechanismName }> {
    const tried: Record<MechanismName, string> = { daemon: 'not configured', dashboard: 'not configured', callback: 'not configured' };
    for (const via of ['daemon', 'dashboard'] as const) {
      const mechanism = this.options[via];
      if (!mechanism) continue;
      try {
        return { ...(await viaMechanism(mechanism)), via };
      } catch (err) {
        if (!isTransportError(err)) throw err;
        tried[via] = describeOutage(err);
      }
    }
    if (hasCallback) return { ...(await viaCallback()), via: 'callback' };
    throw new NoMechanismError(action, tried);
  }
}
