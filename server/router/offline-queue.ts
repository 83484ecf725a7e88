import type { Storage, StoredMessage } from '../storage/storage';
import type { RecentlyDisconnected } from './presence';
import type { AgentRegistry } from './registry';
import type { UnstoredMessages } from './unstored';

export class OfflineQueue {
  /** Workers being spawned: held for them even though they never connected. */
  private readonly expected = new Set<string>();

  constructor(
    private readonly storage: Storage,
    private readonly recentUsers: RecentlyDisconnected,
    private readonly registry: AgentRegistry,
    private readonly unstored: UnstoredMessages,
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

  /** An agent seen before (the registry is in memory: a failed write does not forget it), a worker being spawned, or a user gone less than 5 minutes. */
  canHold(name: string, now: number): boolean {
    if (this.expected.has(name) || this.recentUsers.has(name, now)) return true;
    return this.registry.get(name)?.entityType === 'agent';
  }

  /** Messages waiting for `name`; after a resume, also those delivered but never acknowledged. */
  pending(name: string, resumed: boolean): StoredMessage[] {
    return this.unstored.pendingFor(name, this.storage.pendingMessages(name, { includeDelivered: resumed }), resumed);
  }
}
