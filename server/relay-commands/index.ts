export { commandStart, parseCommandLine } from './grammar.mjs';
export type { RelayCommand } from './grammar.mjs';
export { createScreenDetector, SCREEN_DETECTOR_DEFAULTS } from './screen-detector.mjs';
export { createInjectionQueue, formatInjectedMessage, INJECTION_DEFAULTS } from './injection';
export type { InjectionQueue, InjectionQueueOptions } from './injection';
export { createOutboxWatcher, parseOutboxFile, spawnRequestOf, takeOutboxFile } from './outbox';
export type { OutboxCommand, OutboxWatcher, OutboxWatcherOptions } from './outbox';
