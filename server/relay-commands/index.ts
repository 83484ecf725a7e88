export { createRelayCommandParser, parseCommandLine } from './parser';
export type { RelayCommand, RelayCommandParser, RelayCommandParserOptions } from './parser';
export { createInjectionQueue, formatInjectedMessage, INJECTION_DEFAULTS } from './injection';
export type { InjectionQueue, InjectionQueueOptions } from './injection';
export { createOutboxWatcher, parseOutboxFile, takeOutboxFile } from './outbox';
export type { OutboxCommand, OutboxWatcher, OutboxWatcherOptions } from './outbox';
