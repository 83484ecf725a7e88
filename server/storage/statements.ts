/**
 * Every statement that writes, by name. The writer thread (writer-thread.mjs) prepares the same
 * SQL on its own connection, so a queued write is just a name and its arguments.
 */
export const MESSAGE_COLUMNS = `id, "from", "to", body, thread, kind, data, topic, ts, status, is_broadcast, meta`;

export const WRITE_SQL = {
  insertMessage: `INSERT OR IGNORE INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  delivered: `UPDATE messages SET status = 'delivered' WHERE id = ? AND status = 'unread'`,
  acked: `UPDATE messages SET status = 'acked' WHERE id = ? AND status != 'acked'`,
  unread: `UPDATE messages SET status = 'unread' WHERE id = ?`,
  saveSession: `INSERT OR REPLACE INTO sessions (session_id, resume_token, agent, created, last_seen) VALUES (?, ?, ?, ?, ?)`,
  touchSession: `UPDATE sessions SET last_seen = ? WHERE session_id = ?`,
  deleteSession: `DELETE FROM sessions WHERE session_id = ?`,
  deleteSessionsOf: `DELETE FROM sessions WHERE agent = ? AND session_id != ?`,
  upsertAgent: `INSERT INTO agents (name, cli, team, model, parent, entity_type, first_seen, last_seen)
        VALUES (@name, @cli, @team, @model, @parent, @entityType, @firstSeen, @lastSeen)
        ON CONFLICT(name) DO UPDATE SET cli = coalesce(excluded.cli, cli), team = coalesce(excluded.team, team),
          model = coalesce(excluded.model, model), parent = coalesce(excluded.parent, parent),
          entity_type = excluded.entity_type, last_seen = excluded.last_seen`,
  deleteAgent: `DELETE FROM agents WHERE name = ?`,
  saveWorker: `INSERT OR REPLACE INTO workers (name, info, updated) VALUES (?, ?, ?)`,
  deleteWorker: `DELETE FROM workers WHERE name = ?`,
  // Retention: beyond the newest ?1 rows, delete what is acknowledged or older than ?2 (ms epoch).
  pruneMessages: `DELETE FROM messages
        WHERE seq <= coalesce((SELECT seq FROM messages ORDER BY seq DESC LIMIT 1 OFFSET ?), 0)
          AND (status = 'acked' OR ts < ?)`,
} as const;

export type WriteKey = keyof typeof WRITE_SQL;
/** One queued write: the statement's name and its arguments (positional, or one object of named ones). */
export type WriteOp = [WriteKey, unknown[]];
