/**
 * Users who disconnected recently (the CLI sends as `__cli_sender__`, then closes): messages to
 * them are stored for the dashboard and inbox instead of answering NOT_FOUND. The table is swept
 * on every unregister and by the router's periodic timer, and capped, so it stays bounded however
 * many short-lived connections come and go.
 */
export const RECENT_USER_TTL_MS = 5 * 60_000;
export const RECENT_USER_CAP = 1_000;

export class RecentlyDisconnected {
  // Insertion order is disconnect order, so the oldest entries are always at the front.
  private readonly at = new Map<string, number>();

  constructor(
    private readonly ttlMs = RECENT_USER_TTL_MS,
    private readonly cap = RECENT_USER_CAP,
  ) {}

  add(name: string, now: number): void {
    this.at.delete(name);
    this.at.set(name, now);
    this.sweep(now);
  }

  delete(name: string): void {
    this.at.delete(name);
  }

  has(name: string, now: number): boolean {
    const t = this.at.get(name);
    return t !== undefined && now - t < this.ttlMs;
  }

  sweep(now: number): void {
    for (const [name, t] of this.at) {
      if (now - t < this.ttlMs && this.at.size <= this.cap) break;
      this.at.delete(name);
    }
  }

  get size(): number {
    return this.at.size;
  }
}
