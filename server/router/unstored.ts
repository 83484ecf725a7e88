import type { MessageStatus, MessagesQuery } from '../../lib/protocol';
import type { InboxOptions, Storage, StoredMessage } from '../storage/storage';

/** Messages kept while their writes are held (beyond this, the oldest go: the log says so). */
const MAX_KEPT = 10_000;
const ORDER: Record<MessageStatus, number> = { unread: 0, delivered: 1, acked: 2 };

/**
 * Messages the database has not taken yet. Normally a write is committed within a millisecond and
 * its entry goes at the next prune; while the disk is full, writes are held and retried
 * (server/storage/held-writes.mjs), and these copies keep the router whole meanwhile: a recipient
 * that comes back still gets what was held for it, and the history still shows what was sent.
 */
export class UnstoredMessages {
  private readonly kept = new Map<string, { message: StoredMessage; mark: number }>();
  private added = 0;

  constructor(private readonly storage: Storage) {}

  add(message: StoredMessage, mark: number): void {
    // Without waiting for the writer: what is not known to be committed yet is simply kept longer.
    if (++this.added % 256 === 0) this.prune();
    this.kept.set(message.id, { message: { ...message }, mark });
    if (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value as string);
  }

  /** The kept copy of a message, if the database may not have it yet. */
  get(id: string): StoredMessage | undefined {
    return this.kept.get(id)?.message;
  }

  /** Status only moves forward, as in storage. */
  setStatus(id: string, status: MessageStatus): void {
    const entry = this.kept.get(id);
    if (entry && ORDER[status] > ORDER[entry.message.status]) entry.message.status = status;
  }

  /** Not in the database (call after a storage read, which commits what is queued). */
  private current(): StoredMessage[] {
    this.prune();
    return [...this.kept.values()].map((e) => e.message);
  }

  /** Adds to `stored` (what storage returned for `name`) the held messages waiting for it. */
  pendingFor(name: string, stored: StoredMessage[], includeDelivered: boolean): StoredMessage[] {
    const extra = this.current().filter((m) => m.to === name && (m.status === 'unread' || (includeDelivered && m.status === 'delivered')));
    return merge(stored, extra, 'asc');
  }

  /** MESSAGES_QUERY and GET /api/messages, with what the database does not have yet. */
  query(stored: StoredMessage[], query: MessagesQuery): StoredMessage[] {
    const extra = this.current().filter(
      (m) =>
        (query.sinceTs === undefined || m.ts > query.sinceTs) &&
        (query.from === undefined || m.from === query.from) &&
        (query.to === undefined || m.to === query.to) &&
        (query.thread === undefined || m.thread === query.thread),
    );
    return merge(stored, extra, query.order === 'asc' ? 'asc' : 'desc').slice(0, query.limit ?? 100);
  }

  /** INBOX, oldest first, the newest `limit`. */
  inbox(stored: StoredMessage[], agent: string, options: InboxOptions): StoredMessage[] {
    const extra = this.current().filter(
      (m) =>
        (m.to === agent || (m.isBroadcast && m.from !== agent)) &&
        (!options.unreadOnly || m.status !== 'acked') &&
        (options.from === undefined || m.from === options.from),
    );
    const all = merge(stored, extra, 'asc');
    return all.slice(Math.max(0, all.length - (options.limit ?? 50)));
  }

  private prune(): void {
    for (const [id, e] of this.kept) if (this.storage.isDurableNow(e.mark)) this.kept.delete(id);
  }
}

function merge(stored: StoredMessage[], extra: StoredMessage[], order: 'asc' | 'desc'): StoredMessage[] {
  if (extra.length === 0) return stored;
  const ids = new Set(stored.map((m) => m.id));
  const all = [...stored, ...extra.filter((m) => !ids.has(m.id))];
  // Stored rows come in insertion order; held ones are newer than anything committed before them.
  return all.sort((a, b) => (order === 'asc' ? a.ts - b.ts : b.ts - a.ts));
}
