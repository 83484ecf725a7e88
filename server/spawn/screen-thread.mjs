// The headless terminals of every worker, parsed on one worker thread (see screen.ts for why).
// Plain JavaScript: worker threads do not inherit the main thread's tsx loader.
import { parentPort } from 'node:worker_threads';
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import { createScreenDetector } from '../relay-commands/screen-detector.mjs';
import { createScreenFeed } from './screen-feed.mjs';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

/** The visible rows (the bottom of the buffer), cursor and modes, as of `screen.parsed`. */
function screenText(screen) {
  const { term } = screen;
  const buffer = term.buffer.active;
  const lines = [];
  const solid = [];
  const cell = buffer.getNullCell();
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y);
    lines.push(line?.translateToString(true) ?? '');
    solid.push(line ? solidText(line, term.cols, cell) : '');
  }
  return {
    lines, solid, cursor: { x: buffer.cursorX, y: buffer.cursorY }, altScreen: buffer.type === 'alternate',
    bracketedPaste: term.modes.bracketedPasteMode, cols: term.cols, rows: term.rows, offset: screen.parsed,
  };
}

/**
 * The row as translateToString spells it, with faint (dim) characters as spaces: placeholders and
 * suggestions a TUI shows in an empty prompt are drawn faint, what a person typed never is.
 */
function solidText(line, cols, cell) {
  let out = '';
  for (let x = 0; x < cols; x++) {
    line.getCell(x, cell);
    if (cell.getWidth() === 0) continue;
    const chars = cell.getChars() || ' ';
    out += cell.isDim() ? ' '.repeat(chars.length) : chars;
  }
  return out.trimEnd();
}

/** id -> { term, serializer, parsed, detector?, feed } */
const screens = new Map();

parentPort.on('message', (msg) => {
  const screen = screens.get(msg.id);
  // Anything but more output (or the end) sees the screen with all output so far written to it, in order.
  if (msg.op !== 'write' && msg.op !== 'dispose') screen?.feed.release();
  switch (msg.op) {
    case 'open': {
      const term = new Terminal({ cols: msg.cols, rows: msg.rows, scrollback: msg.scrollback, allowProposedApi: true });
      const serializer = new SerializeAddon();
      term.loadAddon(serializer);
      // Relay commands are read from what this screen shows (screen-detector.mjs); commands go back
      // in the order they were found, before the 'parsed' reply of the batch that completed them.
      const detector = msg.detect
        ? createScreenDetector(term, { onCommands: (commands) => parentPort.postMessage({ op: 'commands', id: msg.id, commands }) })
        : undefined;
      const screen = { term, serializer, parsed: msg.offset, detector, feed: undefined };
      // Output goes through the feed, which drops what a plain flood scrolls out unparsed (screen-feed.mjs).
      screen.feed = createScreenFeed(term, {
        write: (data, callback) => (detector ? detector.write(data, callback) : term.write(data, callback)),
        cold: detector ? () => detector.cold() : undefined,
        onParsed: (bytes) => {
          screen.parsed += bytes;
          parentPort.postMessage({ op: 'parsed', id: msg.id, parsed: screen.parsed });
        },
      });
      screens.set(msg.id, screen);
      break;
    }
    case 'write':
      // A transferred ArrayBuffer holding exactly the batch (screen.ts).
      screen?.feed.push(new Uint8Array(msg.data));
      break;
    case 'resize':
      // In order with the output written before it (xterm would apply it at once, ahead of bytes
      // still queued for parsing).
      if (screen?.detector) screen.detector.resize(msg.cols, msg.rows);
      else if (screen) screen.term.write('', () => screen.term.resize(msg.cols, msg.rows));
      break;
    case 'flush':
      // Everything written so far parsed, and every complete command line acted on without waiting
      // for it to settle: the program has exited.
      if (!screen?.detector) parentPort.postMessage({ op: 'flushed', id: msg.id, req: msg.req });
      else screen.detector.flush(() => parentPort.postMessage({ op: 'flushed', id: msg.id, req: msg.req }));
      break;
    case 'snapshot': {
      if (!screen) {
        parentPort.postMessage({ op: 'snapshot', id: msg.id, req: msg.req, data: '', offset: -1, cols: 0, rows: 0 });
        break;
      }
      // After everything written before this request is parsed; serialized in the same callback,
      // so `parsed` is exactly the offset the screen reflects.
      screen.term.write('', () => {
        parentPort.postMessage({
          op: 'snapshot', id: msg.id, req: msg.req, data: screen.serializer.serialize(), offset: screen.parsed,
          cols: screen.term.cols, rows: screen.term.rows,
        });
      });
      break;
    }
    case 'text': {
      // The rendered screen as plain text for agent profiles' recognisers (screen.ts readText).
      if (!screen) {
        parentPort.postMessage({ op: 'text', id: msg.id, req: msg.req, text: null });
        break;
      }
      screen.term.write('', () => parentPort.postMessage({ op: 'text', id: msg.id, req: msg.req, text: screenText(screen) }));
      break;
    }
    case 'dispose':
      if (screen) {
        screen.feed.dispose();
        screen.detector?.dispose();
        screen.term.dispose();
        screens.delete(msg.id);
      }
      break;
  }
});
