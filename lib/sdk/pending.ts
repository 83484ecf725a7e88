import { RelayError } from './errors';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Requests waiting for an answer, keyed by the id the answer will name. Every one settles exactly once. */
export class PendingRequests {
  private readonly entries = new Map<string, Pending>();

  wait<T>(key: string, timeoutMs: number, describe: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entries.delete(key);
        reject(new RelayError('REQUEST_TIMEOUT', `${describe} got no answer within ${timeoutMs} ms; check the daemon with: agent-relay status`, key));
      }, timeoutMs);
      this.entries.set(key, { resolve: resolve as (v: unknown) => void, reject, timer });
    });
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  resolve(key: string, value: unknown): boolean {
    const entry = this.take(key);
    entry?.resolve(value);
    return entry !== undefined;
  }

  reject(key: string, error: Error): boolean {
    const entry = this.take(key);
    entry?.reject(error);
    return entry !== undefined;
  }

  rejectAll(makeError: () => Error): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) {
      clearTimeout(entry.timer);
      entry.reject(makeError());
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private take(key: string): Pending | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    clearTimeout(entry.timer);
    return entry;
  }
}
