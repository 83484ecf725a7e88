import type { AgentRecord, Storage } from '../storage/storage';

/**
 * The agent registry, held in memory and written through to storage. An agent first seen while
 * the database cannot take writes (disk full) is still known: messages for it are held while it
 * is offline instead of being refused with NOT_FOUND. Loaded from storage once, at start.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();

  constructor(private readonly storage: Storage) {
    for (const record of storage.listAgents()) this.agents.set(record.name, record);
  }

  /** Same merge as the SQL upsert: facts given replace, absent ones stay; firstSeen is kept. */
  upsert(record: AgentRecord): void {
    const old = this.agents.get(record.name);
    const merged: AgentRecord = old
      ? {
          ...old,
          ...(record.cli !== undefined ? { cli: record.cli } : {}),
          ...(record.team !== undefined ? { team: record.team } : {}),
          ...(record.model !== undefined ? { model: record.model } : {}),
          ...(record.parent !== undefined ? { parent: record.parent } : {}),
          entityType: record.entityType,
          lastSeen: record.lastSeen,
        }
      : { ...record };
    this.agents.set(record.name, merged);
    this.storage.upsertAgent(record);
  }

  get(name: string): AgentRecord | undefined {
    return this.agents.get(name);
  }

  /** Oldest first, as storage lists them. */
  list(): AgentRecord[] {
    return [...this.agents.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  }

  delete(name: string): void {
    this.agents.delete(name);
    this.storage.deleteAgent(name);
  }
}
