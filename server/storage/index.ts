export { openStorage, DATABASE_FILE, DEFAULT_MESSAGE_RETENTION } from './storage';
export type { Storage, StoredMessage, SessionRecord, AgentRecord, StorageInfo, InboxOptions, OpenStorageOptions, MessageRetention } from './storage';
export { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations';
export type { Migration } from './migrations';
export type { WorkerRecordStore } from './types';
