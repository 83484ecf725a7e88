import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageStatus, MessagesQuery, SendMeta } from '../../lib/protocol';
import type { WorkerInfo } from '../../lib/protocol';
import type { WorkerRecordStore } from './types';
import { migrate } from './migrations';
import { MESSAGE_COLUMNS, WRITE_SQL } from './statements';
import { ThreadWriter } from './thread-writer';
import { WriteQueue, type Writer } from './write-queue';
import { logger } from '../logger';
import { makePrivate } from '../security/private-files';

/** A message as the router stores it: one row per SEND (a broadcast is stored once). */
export interface StoredMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  thread?: string;
  kind: string;
  data?: Record<string, unknown>;
  topic?: string;
  ts: number;
  status: MessageStatus;
  isBroadcast: boolean;
  /** payload_meta of the SEND, kept so a replay carries it verbatim. */
  meta?: SendMeta;
}

export interface SessionRecord {
  sessionId: string;
  resumeToken: string;
  agent: string;
  created: number;
  lastSeen: number;
}

export interface AgentRecord {
  name: string;
  cli?: string;
  team?: string;
  model?: string;
  parent?: string;
  entityType: 'agent' | 'user';
  firstSeen: number;
  lastSeen: number;
}

export interface StorageInfo {
  driver: 'sqlite' | 'memory';
  persistent: boolean;
  /** The database file (sqlite only). */
  path?: string;
  canRead: boolean;
  /** False while writes are held because the database cannot take them (disk full, I/O error). */
  canWrite: boolean;
  /** Writes kept in memory, waiting to be written again (0 normally). */
  heldWrites: number;
  /** Writes given up because too much was held (a full disk for a long time). */
  droppedWrites: number;
  /** Why writes are held (e.g. "disk full (database or disk is full)"). */
  lastWriteError?: string;
}

export interface InboxOptions {
  limit?: number;
  unreadOnly?: boolean;
  from?: string;
}

/**
 * Messages, sessions, the agent registry and worker records. Writes are queued and committed in
 * one transaction per event-loop tick (sqlite: by a writer thread, off the event loop); every read
 * first waits until what is queued is committed, so a read always
 * sees earlier writes.
 */
export interface Storage extends WorkerRecordStore {
  readonly info: StorageInfo;
  /** Queues the message; returns its write mark, for isDurable(). */
  saveMessage(message: StoredMessage): number;
  /** Commits what is queued, then: true when the write with this mark is in the database (not held back by a full disk). */
  isDurable(mark: number): boolean;
  /** The same without committing first (never waits): false also for a write not handed over yet. */
  isDurableNow(mark: number): boolean;
  /** Moves a message forward only (unread → delivered → acked). */
  setMessageStatus(id: string, status: MessageStatus): void;
  getMessage(id: string): StoredMessage | undefined;
  /** Messages addressed to `to` that still wait for it, oldest first. */
  pendingMessages(to: string, options?: { includeDelivered?: boolean; limit?: number }): StoredMessage[];
  queryMessages(query: MessagesQuery): StoredMessage[];
  /** Direct messages to `agent` and broadcasts from others, newest `limit`, oldest first. */
  inbox(agent: string, options?: InboxOptions): StoredMessage[];
  saveSession(session: SessionRecord): void;
  findSession(resumeToken: string): SessionRecord | undefined;
  touchSession(sessionId: string, lastSeen: number): void;
  deleteSession(sessionId: string): void;
  /** Forget an agent's older sessions (agents hold one live session; users may hold several). */
  deleteSessionsOf(agent: string, exceptSessionId: string): void;
  upsertAgent(record: AgentRecord): void;
  getAgent(name: string): AgentRecord | undefined;
  listAgents(): AgentRecord[];
  deleteAgent(name: string): void;
  /** Commit queued writes now. */
  flush(): void;
  close(): void;
}

export interface OpenStorageOptions {
  driver: 'sqlite' | 'memory';
  /** Directory for `relay.db` (sqlite). */
  dataDir?: string;
  /** Sessions unseen for this long are pruned at open. Default 7 days. */
  sessionRetentionMs?: number;
  /** Commit (and checkpoint) on a worker thread (sqlite; default true). False: on the main thread. */
  writerThread?: boolean;
  /** How many messages the table keeps (see MessageRetention). */
  messageRetention?: Partial<MessageRetention>;
}

/**
 * The messages table keeps the newest `keep` rows whatever their status; older rows go once they
 * are acknowledged, or once older than `unackedMaxAgeMs` whatever their status (a message nobody
 * acknowledged in a week is history: sessions that could replay it are pruned after 7 days too).
 * Pruning runs inside the write transaction every `pruneEvery` inserts, and once at open.
 */
export interface MessageRetention {
  keep: number;
  pruneEvery: number;
  unackedMaxAgeMs: number;
}

export const DEFAULT_MESSAGE_RETENTION: MessageRetention = { keep: 100_000, pruneEvery: 1_000, unackedMaxAgeMs: 7 * 24 * 3600_000 };

export const DATABASE_FILE = 'relay.db';

export function openStorage(options: OpenStorageOptions): Storage {
  if (options.driver === 'memory') return new SqliteStorage(new Database(':memory:'), { driver: 'memory', persistent: false, canRead: true, canWrite: true, heldWrites: 0, droppedWrites: 0 }, options);
  if (!options.dataDir) throw new Error('openStorage: the sqlite driver needs a dataDir; pass the project data directory (.agent-relay).');
  const path = join(options.dataDir, DATABASE_FILE);
  refuseEmptyFile(path);
  let db: Database.Database | undefined;
  try {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 2000');
    checkIntegrity(db);
    migrate(db, path);
    // Proves the file is writable now rather than on the first message.
    db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('opened_at', String(Date.now()));
    // SQLite creates the files with the umask's mode (0644); the WAL and SHM it creates later take
    // the database's. So: 0600 for all three now, and for any later WAL/SHM by inheritance.
    for (const file of [path, `${path}-wal`, `${path}-shm`]) makePrivate(file);
    return new SqliteStorage(db, { driver: 'sqlite', persistent: true, path, canRead: true, canWrite: true, heldWrites: 0, droppedWrites: 0 }, options);
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The open failed already; the close error would hide the useful one.
    }
    const reason = err instanceof Error ? err.message : String(err);
    if (reason.includes('newer than this agent-relay')) throw err;
    if (isCorruption(err)) {
      throw new Error(
        `The message database at ${path} is corrupt (${reason}): move it aside (or delete it) to start with an empty ` +
          'history, e.g. `mv relay.db relay.db.corrupt`, or run with --storage memory.',
      );
    }
    throw new Error(
      `Cannot open the message database at ${path} (${reason}). ` +
        'If the file is corrupt, move it aside (or delete it) to start with an empty history; ' +
        'if it is unwritable, fix the permissions of the file and its directory; or run with --storage memory.',
    );
  }
}

/**
 * agent-relay never leaves relay.db empty: every open writes to it. A 0-byte file is someone else's
 * (truncated by a tool, a failed copy, a placeholder), and starting on it would silently begin a new,
 * empty history in its place; so it is reported and left as it was found. A non-empty WAL beside it
 * may still hold the data, and SQLite (then the integrity check) decides.
 */
function refuseEmptyFile(path: string): void {
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return undefined;
    }
  };
  if (size(path) !== 0 || (size(`${path}-wal`) ?? 0) > 0) return;
  throw new Error(
    `The message database at ${path} is empty (0 bytes), and agent-relay did not leave it so: it may have been truncated ` +
      'or replaced. Delete it (or move it aside) to start with an empty history, or run with --storage memory.',
  );
}

/**
 * SQLite reports damage only when it reads the damaged page, which may be hours into a run. A quick
 * check at open (b-tree structure of every page; ~70 ms for 60 MB here) finds it while `up` can still
 * refuse to start with the path and what to do.
 */
function checkIntegrity(db: Database.Database): void {
  const rows = db.pragma('quick_check(3)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length === 0) return;
  // One line for the terminal: SQLite's report spans several ("*** in database main ***\nTree 4 page 64: …").
  const said = problems.join('; ').replace(/\*\*\* in database \w+ \*\*\*\s*/g, '').replace(/\s*\n\s*/g, '; ');
  throw Object.assign(new Error(`integrity check: ${said}`), { code: 'SQLITE_CORRUPT' });
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

interface MessageRow {
  id: string;
  from: string;
  to: string;
  body: string;
  thread: string | null;
  kind: string;
  data: string | null;
  topic: string | null;
  ts: number;
  status: MessageStatus;
  is_broadcast: number;
  meta: string | null;
}

interface AgentRow {
  name: string;
  cli: string | null;
  team: string | null;
  model: string | null;
  parent: string | null;
  entity_type: 'agent' | 'user';
  first_seen: number;
  last_seen: number;
}

function rowToMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    from: row.from,
    to: row.to,
    body: row.body,
    kind: row.kind,
    ts: row.ts,
    status: row.status,
    isBroadcast: row.is_broadcast === 1,
  };
  if (row.thread !== null) message.thread = row.thread;
  if (row.topic !== null) message.topic = row.topic;
  if (row.data !== null) message.data = JSON.parse(row.data);
  if (row.meta !== null) message.meta = JSON.parse(row.meta);
  return message;
}

function rowToAgent(row: AgentRow): AgentRecord {
  const record: AgentRecord = { name: row.name, entityType: row.entity_type, firstSeen: row.first_seen, lastSeen: row.last_seen };
  if (row.cli !== null) record.cli = row.cli;
  if (row.team !== null) record.team = row.team;
  if (row.model !== null) record.model = row.model;
  if (row.parent !== null) record.parent = row.parent;
  return record;
}

class SqliteStorage implements Storage {
  private readonly queue: Writer;
  private readonly stmt;
  private readonly retention: MessageRetention;
  private insertsSincePrune = 0;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    readonly info: StorageInfo,
    options: OpenStorageOptions,
  ) {
    if (info.driver === 'memory') migrate(db, ':memory:');
    // Open-time pruning runs before the writer thread exists: if it fails (a damaged page), there is
    // no thread to leave behind, and openStorage reports the error.
    const retention = options.sessionRetentionMs ?? 7 * 24 * 3600_000;
    db.prepare('DELETE FROM sessions WHERE last_seen < ?').run(Date.now() - retention);
    this.retention = { ...DEFAULT_MESSAGE_RETENTION, ...options.messageRetention };
    db.prepare(WRITE_SQL.pruneMessages).run(...this.pruneArgs());
    const s = (sql: string) => db.prepare(sql);
    // Reads only: writes are prepared by the writer (statements.ts).
    this.stmt = {
      getMessage: s(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`),
      pendingUnread: s(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE "to" = ? AND status = 'unread' ORDER BY seq LIMIT ?`),
      pendingAll: s(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE "to" = ? AND status != 'acked' ORDER BY seq LIMIT ?`),
      findSession: s(`SELECT session_id, resume_token, agent, created, last_seen FROM sessions WHERE resume_token = ?`),
      getAgent: s(`SELECT * FROM agents WHERE name = ?`),
      listAgents: s(`SELECT * FROM agents ORDER BY first_seen`),
      loadWorkers: s(`SELECT info FROM workers ORDER BY updated`),
    };
    // The writers log what fails (and whether it is held and retried); nothing to add here.
    const writerOptions = { onError: () => {} };
    const threaded = info.path && (options.writerThread ?? process.env.AGENT_RELAY_WRITER_THREAD !== '0') ? ThreadWriter.start(db, info.path, writerOptions) : undefined;
    const queue = (this.queue = threaded ?? new WriteQueue(db, writerOptions));
    // Read live: whether writes are held changes on the writer thread.
    Object.defineProperties(info, {
      canWrite: { get: () => queue.health.heldWrites === 0, enumerable: true },
      heldWrites: { get: () => queue.health.heldWrites, enumerable: true },
      droppedWrites: { get: () => queue.health.droppedWrites, enumerable: true },
      lastWriteError: { get: () => queue.health.lastError, enumerable: true },
    });
  }

  isDurable(mark: number): boolean {
    this.flush();
    return this.queue.isDurable(mark);
  }

  isDurableNow(mark: number): boolean {
    return this.queue.isDurable(mark);
  }

  saveMessage(m: StoredMessage): number {
    const args = [
      m.id, m.from, m.to, m.body, m.thread ?? null, m.kind, m.data ? JSON.stringify(m.data) : null, m.topic ?? null,
      m.ts, m.status, m.isBroadcast ? 1 : 0, m.meta ? JSON.stringify(m.meta) : null,
    ];
    const mark = this.queue.push('insertMessage', args);
    if (++this.insertsSincePrune >= this.retention.pruneEvery) {
      this.insertsSincePrune = 0;
      this.queue.push('pruneMessages', this.pruneArgs());
    }
    return mark;
  }

  private pruneArgs(): [number, number] {
    return [this.retention.keep, Date.now() - this.retention.unackedMaxAgeMs];
  }

  setMessageStatus(id: string, status: MessageStatus): void {
    this.queue.push(status === 'acked' ? 'acked' : status === 'delivered' ? 'delivered' : 'unread', [id]);
  }

  getMessage(id: string): StoredMessage | undefined {
    this.flush();
    const row = this.stmt.getMessage.get(id) as MessageRow | undefined;
    return row ? rowToMessage(row) : undefined;
  }

  pendingMessages(to: string, options: { includeDelivered?: boolean; limit?: number } = {}): StoredMessage[] {
    this.flush();
    const stmt = options.includeDelivered ? this.stmt.pendingAll : this.stmt.pendingUnread;
    return (stmt.all(to, options.limit ?? 10_000) as MessageRow[]).map(rowToMessage);
  }

  queryMessages(query: MessagesQuery): StoredMessage[] {
    this.flush();
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.sinceTs !== undefined) (where.push('ts > ?'), args.push(query.sinceTs));
    if (query.from !== undefined) (where.push('"from" = ?'), args.push(query.from));
    if (query.to !== undefined) (where.push('"to" = ?'), args.push(query.to));
    if (query.thread !== undefined) (where.push('thread = ?'), args.push(query.thread));
    const order = query.order === 'asc' ? 'ASC' : 'DESC';
    const sql = `SELECT ${MESSAGE_COLUMNS} FROM messages ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq ${order} LIMIT ?`;
    args.push(query.limit ?? 100);
    return (this.db.prepare(sql).all(...args) as MessageRow[]).map(rowToMessage);
  }

  inbox(agent: string, options: InboxOptions = {}): StoredMessage[] {
    this.flush();
    const where = [`("to" = ? OR (is_broadcast = 1 AND "from" != ?))`];
    const args: unknown[] = [agent, agent];
    if (options.unreadOnly) where.push(`status != 'acked'`);
    if (options.from !== undefined) (where.push('"from" = ?'), args.push(options.from));
    args.push(options.limit ?? 50);
    const sql = `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args) as MessageRow[]).map(rowToMessage).reverse();
  }

  saveSession(r: SessionRecord): void {
    this.queue.push('saveSession', [r.sessionId, r.resumeToken, r.agent, r.created, r.lastSeen]);
  }

  findSession(resumeToken: string): SessionRecord | undefined {
    this.flush();
    const row = this.stmt.findSession.get(resumeToken) as
      | { session_id: string; resume_token: string; agent: string; created: number; last_seen: number }
      | undefined;
    if (!row) return undefined;
    return { sessionId: row.session_id, resumeToken: row.resume_token, agent: row.agent, created: row.created, lastSeen: row.last_seen };
  }

  touchSession(sessionId: string, lastSeen: number): void {
    this.queue.push('touchSession', [lastSeen, sessionId]);
  }

  deleteSession(sessionId: string): void {
    this.queue.push('deleteSession', [sessionId]);
  }

  deleteSessionsOf(agent: string, exceptSessionId: string): void {
    this.queue.push('deleteSessionsOf', [agent, exceptSessionId]);
  }

  upsertAgent(r: AgentRecord): void {
    this.queue.push('upsertAgent', [
      {
        name: r.name, cli: r.cli ?? null, team: r.team ?? null, model: r.model ?? null, parent: r.parent ?? null,
        entityType: r.entityType, firstSeen: r.firstSeen, lastSeen: r.lastSeen,
      },
    ]);
  }

  getAgent(name: string): AgentRecord | undefined {
    this.flush();
    const row = this.stmt.getAgent.get(name) as AgentRow | undefined;
    return row ? rowToAgent(row) : undefined;
  }

  listAgents(): AgentRecord[] {
    this.flush();
    return (this.stmt.listAgents.all() as AgentRow[]).map(rowToAgent);
  }

  deleteAgent(name: string): void {
    this.queue.push('deleteAgent', [name]);
  }

  saveWorker(info: WorkerInfo): void {
    this.queue.push('saveWorker', [info.name, JSON.stringify(info), Date.now()]);
  }

  loadWorkers(): WorkerInfo[] {
    this.flush();
    return (this.stmt.loadWorkers.all() as { info: string }[]).map((r) => JSON.parse(r.info) as WorkerInfo);
  }

  deleteWorker(name: string): void {
    this.queue.push('deleteWorker', [name]);
  }

  flush(): void {
    if (!this.closed) this.queue.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close();
    this.db.close();
  }
}
