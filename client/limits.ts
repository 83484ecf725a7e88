/**
 * `MAX_INPUT_BYTES` of lib/protocol/workers.ts, repeated here because importing that module brings zod
 * (~100 KB of script) into the page, which only needs the number; limits.test.ts keeps them equal.
 */
export const MAX_INPUT_BYTES = 64 * 1024;
