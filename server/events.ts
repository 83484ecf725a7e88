import { EventEmitter } from 'node:events';
import type { ListenerMap } from '../lib/events';

/**
 * Node's EventEmitter typed by a listener map (`WorkerEvents`, `SpawnManagerEvents`): `on`, `off`,
 * `once` and `emit` take only the declared events with their arguments, so the output path reads
 * from Worker to SpawnManager to the realtime layer without a string to look up. At run time it is
 * a plain EventEmitter (node:events' `once()` and friends work on it). Subscribe with `subscribe`
 * (lib/events.ts) to get one Disposable for a whole map of handlers.
 */
export interface TypedEventEmitter<L extends ListenerMap<L>> {
  on<K extends keyof L>(event: K, listener: L[K]): this;
  once<K extends keyof L>(event: K, listener: L[K]): this;
  off<K extends keyof L>(event: K, listener: L[K]): this;
  removeListener<K extends keyof L>(event: K, listener: L[K]): this;
  removeAllListeners<K extends keyof L>(event?: K): this;
  emit<K extends keyof L>(event: K, ...args: Parameters<L[K]>): boolean;
  listenerCount<K extends keyof L>(event: K): number;
  setMaxListeners(n: number): this;
}

/** `class Worker extends TypedEmitter<WorkerEvents>`: the cast is the typing, nothing else differs. */
export const TypedEmitter = EventEmitter as unknown as { new <L extends ListenerMap<L>>(): TypedEventEmitter<L> };
