import type { ReleaseOutcome, SpawnRequest, WorkerInfo } from '../../lib/protocol';

/**
 * The one SpawnManager every surface calls (protocol, HTTP, socket.io, CLI, MCP, wrapper).
 * Implemented in server/spawn/spawn-manager.ts. Methods throw WorkerError (lib/protocol/workers.ts).
 */

export interface SpawnContext {
  /** The connection or surface asking (daemon connection name, 'Dashboard', a worker's name). */
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

export interface SpawnManagerApi {
  spawn(request: SpawnRequest, context?: SpawnContext): Promise<WorkerInfo>;
  release(name: string, options?: { force?: boolean; reason?: string }): Promise<ReleaseOutcome>;
  sendWorkerInput(name: string, data: string | Buffer): void;
  resize(name: string, cols: number, rows: number): void;
  listWorkers(): WorkerInfo[];
  getWorker(name: string): WorkerInfo | undefined;
  /** Output from `since` (ring in memory, log file for older bytes), at most `maxBytes`. */
  readOutput(name: string, since: number, maxBytes?: number): Promise<OutputSlice>;
  /** The current screen, from the headless terminal, consistent with `offset`. */
  snapshot(name: string): Promise<ScreenSnapshot>;
  /** Forget an exited worker (its record and log stay on disk unless `deleteLog`). */
  remove(name: string, options?: { deleteLog?: boolean }): void;
  /** Release every worker: graceful, then forced. Used by `agent-relay down`. */
  releaseAll(): Promise<void>;
  on<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
  off<E extends keyof SpawnManagerEvents>(event: E, listener: SpawnManagerEvents[E]): this;
}
