import type { Storage, StoredMessage } from '../storage/storage';
import type { RecentlyDisconnected } from './presence';

/**
 * Who may receive a message while offline. Stored messages live in the messages table with status
 * `unread` and are handed over, oldest first, at the recipient's next HELLO (or attach).
 */
export class OfflineQueue {
  /** Workers being spawned: held for them even though they never connected. */
  private readonly expected = new Set<string>();

  constructor(
    private readonly storage: Storage,
    private readonly recentUsers: RecentlyDisconnected,
  ) {}

  expect(name: string): void {
    this.expected.add(name);
  }

  forget(name: string): void {
    this.expected.delete(name);
  }

  isExpected(name: string): boolean {
    return this.expected.has(name);
  }

  expectedNames(): string[] {
    return [...this.expected];
  }

  /** An agent seen before, a worker being spawned, or a user gone less than 5 minutes. */
  canHold(name: string, now: number): boolean {
    if (this.expected.has(name) || this.recentUsers.has(name, now)) return true;
    return this.storage.getAgent(name)?.entityType === 'agent';
  }

  /** Messages waiting for `name`; after a resume, also those delivered but never acknowledged. */
  pending(name: string, resumed: boolean): StoredMessage[] {
    return this.storage.pendingMessages(name, { includeDelivered: resumed });
  }
}
