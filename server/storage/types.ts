import type { WorkerInfo } from '../../lib/protocol';

/**
 * Persisted worker records: the part of storage the SpawnManager uses. The message, session and
 * agent-registry parts are defined beside the implementation (server/storage/storage.ts) by the router's needs.
 */
export interface WorkerRecordStore {
  saveWorker(info: WorkerInfo): void;
  loadWorkers(): WorkerInfo[];
  deleteWorker(name: string): void;
}
