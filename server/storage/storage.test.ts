import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerInfo } from '../../lib/protocol';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations';
import { DATABASE_FILE, openStorage, type StoredMessage } from './storage';

const dirs: string[] = [];
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-storage-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    try {
      chmodSync(dir, 0o700);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

const message = (id: string, to: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id, from: 'Alice', to, body: `body ${id}`, kind: 'message', ts: Date.now(), status: 'unread', isBroadcast: false, ...extra,
});

const worker: WorkerInfo = {
  name: 'W1', cli: 'bash', args: [], task: 't', cwd: '/tmp', spawnedAt: 1, status: 'running', cols: 80, rows: 24, outputBytes: 0,
};

describe('sqlite storage', () => {
  it('keeps messages, sessions, agents and workers across a reopen', () => {
    const dir = temp();
    const s1 = openStorage({ driver: 'sqlite', dataDir: dir });
    s1.saveMessage(message('m1', 'Bob', { thread: 't', data: { a: 1 }, meta: { importance: 5 } }));
    s1.setMessageStatus('m1', 'delivered');
    s1.saveSession({ sessionId: 's1', resumeToken: 'tok', agent: 'Bob', created: Date.now(), lastSeen: Date.now() });
    s1.upsertAgent({ name: 'Bob', cli: 'claude', entityType: 'agent', firstSeen: 1, lastSeen: 2 });
    s1.saveWorker(worker);
    s1.close();
    const s2 = openStorage({ driver: 'sqlite', dataDir: dir });
    expect(s2.getMessage('m1')).toMatchObject({ to: 'Bob', status: 'delivered', thread: 't', data: { a: 1 }, meta: { importance: 5 } });
    expect(s2.findSession('tok')).toMatchObject({ sessionId: 's1', agent: 'Bob' });
    expect(s2.getAgent('Bob')).toMatchObject({ cli: 'claude', entityType: 'agent' });
    expect(s2.loadWorkers()).toEqual([worker]);
    s2.deleteWorker('W1');
    expect(s2.loadWorkers()).toEqual([]);
    s2.close();
  });

  it('lets reads see writes still queued in the same tick', () => {
    const s = openStorage({ driver: 'memory' });
    s.saveMessage(message('m1', 'Bob'));
    s.saveMessage(message('m2', 'Bob'));
    s.setMessageStatus('m1', 'acked');
    expect(s.pendingMessages('Bob').map((m) => m.id)).toEqual(['m2']);
    expect(s.pendingMessages('Bob', { includeDelivered: true }).map((m) => m.id)).toEqual(['m2']);
    s.close();
  });

  it('moves a status forward only', () => {
    const s = openStorage({ driver: 'memory' });
    s.saveMessage(message('m1', 'Bob'));
    s.setMessageStatus('m1', 'acked');
    s.setMessageStatus('m1', 'delivered');
    expect(s.getMessage('m1')?.status).toBe('acked');
    s.close();
  });

  it('commits queued writes on its own, without a read or a close, where another connection sees them', async () => {
    const dir = temp();
    const s = openStorage({ driver: 'sqlite', dataDir: dir });
    for (let i = 0; i < 1000; i++) s.saveMessage(message(`m${i}`, 'Bob'));
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    // The writer thread commits shortly after the turn; the deadline only bounds a hang.
    const deadline = Date.now() + 10_000;
    while (count() < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(count()).toBe(1000);
    reader.close();
    s.close();
  });

  it.each([true, false])('lets reads see earlier writes on a sqlite file (writer thread %s)', (writerThread) => {
    const s = openStorage({ driver: 'sqlite', dataDir: temp(), writerThread });
    s.saveMessage(message('m1', 'Bob'));
    s.saveMessage(message('m2', 'Bob'));
    s.setMessageStatus('m1', 'acked');
    expect(s.pendingMessages('Bob').map((m) => m.id)).toEqual(['m2']);
    s.upsertAgent({ name: 'Bob', entityType: 'agent', firstSeen: 1, lastSeen: 2 });
    expect(s.getAgent('Bob')).toMatchObject({ name: 'Bob' });
    s.close();
  });

  it('keeps writing, on the main thread, after the writer thread dies', async () => {
    const dir = temp();
    const s = openStorage({ driver: 'sqlite', dataDir: dir });
    s.saveMessage(message('before', 'Bob'));
    s.flush();
    // The thread itself is private; ending it is the failure being tested.
    await (s as unknown as { queue: { worker: { terminate(): Promise<number> } } }).queue.worker.terminate();
    await new Promise((r) => setImmediate(r));
    s.saveMessage(message('after', 'Bob'));
    expect(s.pendingMessages('Bob').map((m) => m.id)).toEqual(['before', 'after']);
    expect(s.info.canWrite).toBe(true);
    s.close();
    const reopened = openStorage({ driver: 'sqlite', dataDir: dir });
    expect(reopened.getMessage('after')).toMatchObject({ to: 'Bob' });
    reopened.close();
  });

  it('checkpoints the WAL into relay.db on close, so the file alone holds every message', () => {
    const dir = temp();
    const s = openStorage({ driver: 'sqlite', dataDir: dir });
    for (let i = 0; i < 500; i++) s.saveMessage(message(`m${i}`, 'Bob'));
    s.close();
    expect(existsSync(join(dir, `${DATABASE_FILE}-wal`))).toBe(false);
    const reader = new Database(join(dir, DATABASE_FILE), { readonly: true });
    expect((reader.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n).toBe(500);
    reader.close();
  });

  it('answers queries with filters, order and limit, and the inbox oldest first', () => {
    const s = openStorage({ driver: 'memory' });
    s.saveMessage(message('m1', 'Bob', { thread: 'x', ts: 1 }));
    s.saveMessage(message('m2', 'Carol', { ts: 2 }));
    s.saveMessage(message('m3', '*', { ts: 3, isBroadcast: true }));
    s.saveMessage(message('m4', 'Bob', { ts: 4, from: 'Dan' }));
    expect(s.queryMessages({}).map((m) => m.id)).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect(s.queryMessages({ order: 'asc', limit: 2 }).map((m) => m.id)).toEqual(['m1', 'm2']);
    expect(s.queryMessages({ to: 'Bob', from: 'Alice' }).map((m) => m.id)).toEqual(['m1']);
    expect(s.queryMessages({ thread: 'x' }).map((m) => m.id)).toEqual(['m1']);
    expect(s.queryMessages({ sinceTs: 2 }).map((m) => m.id)).toEqual(['m4', 'm3']);
    expect(s.inbox('Bob').map((m) => m.id)).toEqual(['m1', 'm3', 'm4']);
    expect(s.inbox('Bob', { from: 'Dan' }).map((m) => m.id)).toEqual(['m4']);
    expect(s.inbox('Bob', { limit: 1 }).map((m) => m.id)).toEqual(['m4']);
    s.close();
  });

  it('reports itself as memory, not persistent', () => {
    const s = openStorage({ driver: 'memory' });
    expect(s.info).toMatchObject({ driver: 'memory', persistent: false, canRead: true, canWrite: true });
    s.close();
  });
});

describe('message retention', () => {
  const count = (s: ReturnType<typeof openStorage>) => s.queryMessages({ limit: 1_000_000 }).length;

  it.each(['sqlite', 'memory'] as const)('keeps the newest messages and everything unacknowledged, pruning as it writes (%s)', (driver) => {
    const s = openStorage({ driver, dataDir: temp(), messageRetention: { keep: 10, pruneEvery: 5 } });
    for (let i = 0; i < 40; i++) {
      s.saveMessage(message(`m${i}`, 'Bob', { status: 'delivered' }));
      // Every message but m3 and m7 (delivered, never acked) and the unread m20 is acknowledged.
      if (i !== 3 && i !== 7 && i !== 20) s.setMessageStatus(`m${i}`, 'acked');
      if (i === 20) s.setMessageStatus('m20', 'unread');
    }
    // The prune after the 40th insert ran in the same batch: newest 10 plus the 3 unacknowledged.
    const ids = s.queryMessages({ order: 'asc', limit: 100 }).map((m) => m.id);
    expect(ids).toEqual(['m3', 'm7', 'm20', ...Array.from({ length: 10 }, (_, i) => `m${30 + i}`)]);
    expect(s.pendingMessages('Bob', { includeDelivered: true }).map((m) => m.id)).toEqual(['m3', 'm7', 'm20']);
    s.close();
  });

  it('drops unacknowledged messages past the age limit once they are not among the newest', () => {
    const s = openStorage({ driver: 'memory', messageRetention: { keep: 2, pruneEvery: 1, unackedMaxAgeMs: 60_000 } });
    s.saveMessage(message('old-unread', 'Bob', { ts: Date.now() - 120_000 }));
    s.saveMessage(message('recent-unread', 'Bob'));
    s.saveMessage(message('n1', 'Bob'));
    s.saveMessage(message('n2', 'Bob'));
    expect(s.queryMessages({ order: 'asc' }).map((m) => m.id)).toEqual(['recent-unread', 'n1', 'n2']);
    s.close();
  });

  it('prunes a database that grew past the limit when it opens', () => {
    const dir = temp();
    const s1 = openStorage({ driver: 'sqlite', dataDir: dir, messageRetention: { pruneEvery: 1_000_000 } });
    for (let i = 0; i < 50; i++) {
      s1.saveMessage(message(`m${i}`, 'Bob', { status: 'acked' }));
    }
    s1.close();
    const s2 = openStorage({ driver: 'sqlite', dataDir: dir, messageRetention: { keep: 5 } });
    expect(count(s2)).toBe(5);
    expect(s2.queryMessages({ order: 'asc' }).map((m) => m.id)).toEqual(['m45', 'm46', 'm47', 'm48', 'm49']);
    s2.close();
  });
});

describe('migrations', () => {
  it('records the schema version in user_version', () => {
    const dir = temp();
    openStorage({ driver: 'sqlite', dataDir: dir }).close();
    const db = new Database(join(dir, DATABASE_FILE));
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('upgrades a database written at an older version, keeping its rows', () => {
    const dir = temp();
    const path = join(dir, DATABASE_FILE);
    const old = new Database(path);
    migrate(old, path, MIGRATIONS.slice(0, 1));
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.prepare(`INSERT INTO messages (id, "from", "to", body, ts) VALUES ('old', 'A', 'B', 'kept', 1)`).run();
    old.close();
    const s = openStorage({ driver: 'sqlite', dataDir: dir });
    expect(s.getMessage('old')).toMatchObject({ body: 'kept', status: 'unread' });
    s.saveMessage(message('new', 'B', { meta: { replyTo: 'r' } }));
    expect(s.getMessage('new')?.meta).toEqual({ replyTo: 'r' });
    s.close();
  });

  it('refuses a database from a newer version with the path and what to do', () => {
    const dir = temp();
    const path = join(dir, DATABASE_FILE);
    const db = new Database(path);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openStorage({ driver: 'sqlite', dataDir: dir })).toThrow(new RegExp(`${path}.*newer.*Upgrade agent-relay`));
  });
});

describe('open failures', () => {
  it('reports a corrupt database with its path and what to do', () => {
    const dir = temp();
    writeFileSync(join(dir, DATABASE_FILE), 'this is not a sqlite database, just text that is long enough to matter'.repeat(100));
    expect(() => openStorage({ driver: 'sqlite', dataDir: dir })).toThrow(/relay\.db is corrupt.*move it aside/);
  });

  it('reports damage inside an otherwise valid database at open, before any query reaches it', () => {
    const dir = temp();
    const storage = openStorage({ driver: 'sqlite', dataDir: dir });
    for (let i = 0; i < 2000; i++) storage.saveMessage({ id: `m${i}`, from: 'a', to: 'b', body: 'x'.repeat(400), kind: 'message', ts: Date.now(), status: 'unread', isBroadcast: false });
    storage.close();
    // Garbage over some pages in the middle of the messages table; the header and schema stay intact.
    const path = join(dir, DATABASE_FILE);
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 200_000, 260_000);
    writeFileSync(path, bytes);
    expect(() => openStorage({ driver: 'sqlite', dataDir: dir })).toThrow(/relay\.db is corrupt.*move it aside/);
  });

  it('refuses an empty relay.db it did not create, and leaves the file as it was', () => {
    const dir = temp();
    writeFileSync(join(dir, DATABASE_FILE), '');
    expect(() => openStorage({ driver: 'sqlite', dataDir: dir })).toThrow(/relay\.db is empty \(0 bytes\).*Delete it/);
    expect(statSync(join(dir, DATABASE_FILE)).size).toBe(0);
  });

  it('reports a data directory that cannot be created with its path and what to do', () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => openStorage({ driver: 'sqlite', dataDir: join(dir, 'file', 'data') })).toThrow(/Cannot open the message database at .*file\/data\/relay\.db.*permissions/);
  });

  // Root ignores directory permissions, so this case only means something for other users.
  it.skipIf(process.getuid?.() === 0)('reports an unwritable data directory with its path and what to do', () => {
    const dir = temp();
    chmodSync(dir, 0o500);
    expect(() => openStorage({ driver: 'sqlite', dataDir: dir })).toThrow(/Cannot open the message database at .*permissions/);
  });
});
