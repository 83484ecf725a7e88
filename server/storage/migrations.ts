import type Database from 'better-sqlite3';

/**
 * Versioned schema. The database's `user_version` pragma records how many migrations have run;
 * opening runs the missing ones, in order, each in its own transaction. Append new migrations,
 * never edit a published one: a user's database may already hold it.
 */
export interface Migration {
  version: number;
  description: string;
  up: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'messages, sessions, agents, workers',
    up: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        "from" TEXT NOT NULL,
        "to" TEXT NOT NULL,
        body TEXT NOT NULL,
        thread TEXT,
        kind TEXT NOT NULL DEFAULT 'message',
        data TEXT,
        topic TEXT,
        ts INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'unread',
        is_broadcast INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX messages_to_status ON messages ("to", status, seq);
      CREATE INDEX messages_ts ON messages (ts);
      CREATE INDEX messages_thread ON messages (thread);
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        resume_token TEXT NOT NULL UNIQUE,
        agent TEXT NOT NULL,
        created INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );
      CREATE INDEX sessions_agent ON sessions (agent);
      CREATE TABLE agents (
        name TEXT PRIMARY KEY,
        cli TEXT,
        team TEXT,
        model TEXT,
        parent TEXT,
        entity_type TEXT NOT NULL DEFAULT 'agent',
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
      );
      CREATE TABLE workers (name TEXT PRIMARY KEY, info TEXT NOT NULL, updated INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    // Replays of stored messages keep their original payload_meta (sync, replyTo) verbatim.
    description: 'messages.meta',
    up: `ALTER TABLE messages ADD COLUMN meta TEXT;`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Bring `db` to SCHEMA_VERSION. Throws when the file was written by a newer agent-relay. */
export function migrate(db: Database.Database, path: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `The message database at ${path} has schema version ${current}, newer than this agent-relay understands (${latest}). ` +
        'Upgrade agent-relay, or move the file aside to start with an empty history.',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return latest;
}
