/** What fixtures/flood.mjs prints (in raw mode) before it waits for the go key. */
export const READY_LINE = 'ready\r\n';
