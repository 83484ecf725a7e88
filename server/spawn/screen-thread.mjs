// The headless terminals of every worker, parsed on one worker thread (see screen.ts for why).
// Plain JavaScript: worker threads do not inherit the main thread's tsx loader.
import { parentPort } from 'node:worker_threads';
import xtermHeadless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';

const { Terminal } = xtermHeadless;
const { SerializeAddon } = serializeAddon;

/** id -> { term, serializer, parsed } */
const screens = new Map();

parentPort.on('message', (msg) => {
  const screen = screens.get(msg.id);
  switch (msg.op) {
    case 'open': {
      const term = new Terminal({ cols: msg.cols, rows: msg.rows, scrollback: msg.scrollback, allowProposedApi: true });
      const serializer = new SerializeAddon();
      term.loadAddon(serializer);
      screens.set(msg.id, { term, serializer, parsed: msg.offset });
      break;
    }
    case 'write': {
      if (!screen) break;
      // A transferred ArrayBuffer holding exactly the batch (screen.ts).
      const data = new Uint8Array(msg.data);
      screen.term.write(data, () => {
        screen.parsed += data.byteLength;
        parentPort.postMessage({ op: 'parsed', id: msg.id, parsed: screen.parsed });
      });
      break;
    }
    case 'resize':
      if (screen) screen.term.resize(msg.cols, msg.rows);
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
    case 'dispose':
      if (screen) {
        screen.term.dispose();
        screens.delete(msg.id);
      }
      break;
  }
});
