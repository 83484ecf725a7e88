import { describe, expect, it, vi } from 'vitest';
import { WorkerError } from '../../lib/protocol';
import { RelayError } from '../../lib/sdk/errors';
import {
  FallbackChain,
  MechanismUnavailableError,
  NoMechanismError,
  isTransportError,
  type SpawnReleaseMechanism,
} from '../../server/wrapper/fallback';

const request = { name: 'Worker1', cli: 'demo', task: 'say hi' };

function errno(code: string): Error {
  return Object.assign(new Error(`connect ${code} /tmp/x/relay.sock`), { code });
}

/** A mechanism whose spawn and release resolve, or throw the given error. */
function mechanism(fail?: Error): SpawnReleaseMechanism & { spawn: ReturnType<typeof vi.fn>; release: ReturnType<typeof vi.fn> } {
  return {
    spawn: vi.fn(async (r: { name: string }) => {
      if (fail) throw fail;
      return { name: r.name, pid: 42 };
    }),
    release: vi.fn(async (name: string) => {
      if (fail) throw fail;
      return { name, exitCode: 0, endedBy: 'exit' };
    }),
  };
}

describe('fallback chain', () => {
  it('uses the daemon when it answers, and nothing else', async () => {
    const daemon = mechanism();
    const dashboard = mechanism();
    const onSpawn = vi.fn();
    const chain = new FallbackChain({ daemon, dashboard, onSpawn });
    await expect(chain.spawn(request)).resolves.toEqual({ name: 'Worker1', pid: 42, via: 'daemon' });
    await expect(chain.release('Worker1')).resolves.toMatchObject({ name: 'Worker1', via: 'daemon' });
    expect(dashboard.spawn).not.toHaveBeenCalled();
    expect(dashboard.release).not.toHaveBeenCalled();
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('a daemon refusal is final: the HTTP API is never asked', async () => {
    const denied = new RelayError('POLICY_DENIED', 'Workers may not spawn workers in this project.');
    const daemon = mechanism(denied);
    const dashboard = mechanism();
    const onSpawn = vi.fn();
    const onRelease = vi.fn();
    const chain = new FallbackChain({ daemon, dashboard, onSpawn, onRelease });
    await expect(chain.spawn(request)).rejects.toBe(denied);
    await expect(chain.release('Worker1')).rejects.toBe(denied);
    expect(dashboard.spawn).not.toHaveBeenCalled();
    expect(dashboard.release).not.toHaveBeenCalled();
    expect(onSpawn).not.toHaveBeenCalled();
    expect(onRelease).not.toHaveBeenCalled();
  });

  it('NAME_TAKEN from the daemon is final too', async () => {
    const daemon = mechanism(new WorkerError('NAME_TAKEN', 'A worker named Worker1 is already running.'));
    const dashboard = mechanism();
    await expect(new FallbackChain({ daemon, dashboard }).spawn(request)).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    expect(dashboard.spawn).not.toHaveBeenCalled();
  });

  it('ECONNREFUSED from the daemon reaches the HTTP API', async () => {
    const daemon = mechanism(errno('ECONNREFUSED'));
    const dashboard = mechanism();
    const chain = new FallbackChain({ daemon, dashboard });
    await expect(chain.spawn(request)).resolves.toMatchObject({ name: 'Worker1', via: 'dashboard' });
    await expect(chain.release('Worker1', { force: true })).resolves.toMatchObject({ via: 'dashboard' });
    expect(dashboard.spawn).toHaveBeenCalledWith(request);
    expect(dashboard.release).toHaveBeenCalledWith('Worker1', { force: true });
  });

  for (const code of ['ENOENT', 'ECONNRESET', 'ETIMEDOUT', 'NO_DAEMON', 'CONNECT_FAILED', 'REQUEST_TIMEOUT']) {
    it(`${code} from the daemon counts as unreachable`, async () => {
      const dashboard = mechanism();
      const daemonError = code.startsWith('E') ? errno(code) : new RelayError(code, 'daemon unreachable');
      const result = await new FallbackChain({ daemon: mechanism(daemonError), dashboard }).spawn(request);
      expect(result.via).toBe('dashboard');
    });
  }

  it('a dashboard refusal (HTTP error answer) is final: the callback is never called', async () => {
    const refused = Object.assign(new Error('Worker limit reached (32).'), { code: 'LIMIT_REACHED', status: 403 });
    const onSpawn = vi.fn();
    const chain = new FallbackChain({ daemon: mechanism(errno('ECONNREFUSED')), dashboard: mechanism(refused), onSpawn });
    await expect(chain.spawn(request)).rejects.toBe(refused);
    expect(onSpawn).not.toHaveBeenCalled();
  });

  it('falls through to the callback when both daemon and dashboard are unreachable', async () => {
    // fetch() reports a refused connection as TypeError('fetch failed') with the errno in `cause`.
    const fetchFailed = new TypeError('fetch failed', { cause: errno('ECONNREFUSED') });
    const onSpawn = vi.fn(async () => ({ name: 'Worker1', pid: 7 }));
    const onRelease = vi.fn();
    const chain = new FallbackChain({ daemon: mechanism(errno('ENOENT')), dashboard: mechanism(fetchFailed), onSpawn, onRelease });
    await expect(chain.spawn(request)).resolves.toEqual({ name: 'Worker1', pid: 7, via: 'callback' });
    await expect(chain.release('Worker1')).resolves.toEqual({ name: 'Worker1', via: 'callback' });
    expect(onSpawn).toHaveBeenCalledWith(request);
    expect(onRelease).toHaveBeenCalledWith('Worker1', {});
  });

  it('uses the callback alone when no daemon or dashboard is configured', async () => {
    const onSpawn = vi.fn();
    await expect(new FallbackChain({ onSpawn }).spawn(request)).resolves.toEqual({ name: 'Worker1', via: 'callback' });
  });

  it('with no mechanism left, spawn throws naming what was tried', async () => {
    const chain = new FallbackChain({ daemon: mechanism(errno('ECONNREFUSED')), dashboard: mechanism(new MechanismUnavailableError('no dashboard token')) });
    const err = await chain.spawn(request).catch((e) => e);
    expect(err).toBeInstanceOf(NoMechanismError);
    expect(err.message).toBe(
      'No spawn mechanism available (daemon=unreachable (ECONNREFUSED), dashboard=unreachable (no dashboard token), callback=not configured). Start the daemon with: agent-relay up',
    );
  });

  it('with no mechanism left, release throws like spawn (it never pretends to succeed)', async () => {
    const err = await new FallbackChain({}).release('Worker1').catch((e) => e);
    expect(err).toBeInstanceOf(NoMechanismError);
    expect(err.message).toMatch(/^No release mechanism available \(daemon=not configured, dashboard=not configured, callback=not configured\)/);
  });

  it('classifies errors: outages are transport errors, answers are not', () => {
    expect(isTransportError(errno('ECONNREFUSED'))).toBe(true);
    expect(isTransportError(new TypeError('fetch failed', { cause: errno('ECONNRESET') }))).toBe(true);
    expect(isTransportError(new RelayError('POLICY_DENIED', 'no'))).toBe(false);
    expect(isTransportError(new Error('something else'))).toBe(false);
  });
});
