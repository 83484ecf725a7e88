import type { InjectAction, InjectionState, ReleaseOutcome, SpawnRequest, SpawnResolution, WorkerInfo } from '../../lib/protocol';

/**
 * The one SpawnManager every surface calls (protocol, HTTP, socket.io, CLI, MCP, wrapper).
 * Implemented in server/spawn/spawn-manager.ts. Methods throw WorkerError (lib/protocol/workers.ts).
 */

export interface SpawnContext {
  /** The connection or surface asking (daemon connection name, DASHBOARD_USER, a worker's name). */
  requester?: string;
  /** Dashboard and workers asking through their own output are trusted: their spawnerName is kept. */
  trusted?: boolean;
  /** The request came from a worker (nested spawning policy applies). */
  fromWorker?: boolean;
}

export interface OutputSlice {
  /** Offset of data[0] in the worker's output stream. */
  start: number;
  data: Buffer;
  /** Total bytes the worker has produced so far (start + data.length when nothing is cut). */
  end: number;
}

export interface ScreenSnapshot {
  /** Serialized screen (escape sequences) that reproduces the terminal when written to a reset xterm. */
  data: string;
  /** Output offset the snapshot reflects: live output continues from here. */
  offset: number;
  cols: number;
  rows: number;
}

/** What a spawn request would run (SpawnManager.resolve): shown before spawning. One shape, in lib/protocol. */
export type { SpawnResolution };

export interface SpawnManagerEvents {
  /** Raw output; `start` is the offset of chunk[0]. Emitted in order, never altered. */
  output: (name: string, chunk: Buffer, start: number) => void;
  /** Any change of WorkerInfo worth showing (status, size, attention, task delivered). */
  status: (info: WorkerInfo) => void;
  /** The worker exited and its output has been drained to EOF. */
  exit: (info: WorkerInfo) => void;
  /** Workers were added or removed. */
  list: (workers: WorkerInfo[]) => void;
}

/**
 * A result now (this process owns the worker) or later (another node does: server/cluster). Every
 * caller awaits it; for the owner a bad call still fails at once (docs/decisions/0013).
 */
export type MaybePromise<T> = T | Promise<T>;

export interface SpawnManagerApi {
  spawn(request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo>;
  /** The local SpawnManager only: send its workers' own commands (->relay:spawn / release) through `api` (a cluster's). */
  routeCommandsThrough?(api: Pick<SpawnManagerApi, 'spawn' | 'release'>): void;
  /** What spawn(request) would run, or the error it would throw, without starting anything. */
  resolve(request: SpawnRequest, context?: SpawnContext): MaybePromise<SpawnResolution>;
  release(name: string, options?: { force?: boolean; reason?: string }): Promise<ReleaseOutcome>;
  /** A person's input: typed at once; queued messages wait until they pause (docs/workers.md, Injection). */
  sendWorkerInput(name: string, data: string | Buffer): MaybePromise<void>;
  /** hold / flush / auto for the messages typed into a live worker; `flushed` counts what a flush released. */
  setInjectMode(name: string, action: InjectAction): MaybePromise<{ injection: InjectionState; flushed: number }>;
  resize(name: string, cols: number, rows: number): MaybePromise<void>;
  /**
   * Every worker known here. A read of a view, never a round trip: the owner's table, and in a
   * cluster the directory's mirror of other nodes' workers, kept current by the events below.
   */
  listWorkers(): WorkerInfo[];
  /** One worker from the same view as listWorkers(). */
  getWorker(name: string): WorkerInfo | undefined;
  /** Output from `since` (ring in memory, log file for older bytes), at most `maxBytes`. */
  readOutput(name: string, since: number, maxBytes?: number): Promise<OutputSlice>;
  /** The current screen, from the headless terminal, consistent with `offset`. */
  snapshot(name: string): Promise<ScreenSnapshot>;
  /** Forget an exited worker (its record and log stay on disk unless `deleteLog`). */
  remove(name: string, options?: { deleteLog?: boolean }): MaybePromise<void>;
  /**
   * The realtime layer has viewers for `name` (true) or none any more (false). A worker of this
   * process streams regardless; one on another node streams only while watched (server/cluster).
   */
  watchOutput?(name: string, watching: boolean): void;
  /** Release every worker: graceful, then forced. Used by `agent-relay down`. */
  releaseAll(): Promise<void>;
  on<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
  off<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
}
