import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { WebSocketServer, type WebSocket } from 'ws';
import { FLOOD_SCRIPT } from './raw';
import { REPO } from './server';

/**
 * The raw baseline of the browser sections: the xterm.js demo's shape with nothing of ours. One HTTP
 * server in the bench process serves a page holding xterm.js and a plain WebSocket; each WebSocket
 * gets its own node-pty, whose every chunk goes out as one binary message and whose every message in
 * goes to the PTY. No flow control, no coalescing, no React. The page counts what xterm has parsed
 * (`window.__raw.rendered`, from xterm's write callbacks, as the dashboard's hook does).
 */

const XTERM_JS = join(REPO, 'node_modules', '@xterm', 'xterm', 'lib', 'xterm.js');
const XTERM_CSS = join(REPO, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css');

/** What the raw page's PTY runs, by `?cmd=`. */
const COMMANDS: Record<string, (q: URLSearchParams) => [string, string[]]> = {
  echo: () => ['bash', ['-c', 'stty -echo -icanon; exec cat']],
  flood: (q) => [process.execPath, [FLOOD_SCRIPT, String(Number(q.get('bytes'))), '', '--wait']],
};

// The dashboard's terminal options (client/terminalSession.ts), so both pages render the same.
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>raw xterm.js</title>
<link rel="stylesheet" href="/xterm.css">
<style>html,body{margin:0;height:100%;background:#0a0d12}#terminal{height:100%}</style>
<script src="/xterm.js"></script></head>
<body><div id="terminal"></div>
<script>
const q = new URLSearchParams(location.search);
const term = new Terminal({
  cursorBlink: false,
  fontFamily: '"JetBrains Mono", "DejaVu Sans Mono", "Liberation Mono", monospace',
  fontSize: 13, lineHeight: 1.15, scrollback: 5000, cols: Number(q.get('cols') || 120), rows: Number(q.get('rows') || 32),
  theme: { background: '#0a0d12', foreground: '#d6dde8', cursor: '#2dd4bf' },
});
term.open(document.getElementById('terminal'));
window.__raw = { rendered: 0, open: false, term };
const ws = new WebSocket('ws://' + location.host + '/pty?' + q.toString());
ws.binaryType = 'arraybuffer';
ws.onopen = () => { window.__raw.open = true; };
ws.onmessage = (e) => {
  const data = new Uint8Array(e.data);
  term.write(data, () => { window.__raw.rendered += data.length; });
};
term.onData((d) => ws.send(d));
term.focus();
</script></body></html>`;

export interface RawPage {
  origin: string;
  close(): Promise<void>;
}

export async function startRawPage(): Promise<RawPage> {
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', PAGE],
    '/xterm.js': ['text/javascript', readFileSync(XTERM_JS, 'utf8')],
    '/xterm.css': ['text/css', readFileSync(XTERM_CSS, 'utf8')],
  };
  const http: Server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': file[0], 'Cache-Control': 'no-store' }).end(file[1]);
  });
  const ptys = new Set<pty.IPty>();
  const wss = new WebSocketServer({ server: http, path: '/pty' });
  wss.on('connection', (ws: WebSocket, req) => {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const command = COMMANDS[q.get('cmd') ?? ''];
    if (!command) {
      ws.close(1008, 'unknown cmd');
      return;
    }
    const [file, args] = command(q);
    const child = pty.spawn(file, args, {
      name: 'xterm-256color', cols: Number(q.get('cols') || 120), rows: Number(q.get('rows') || 32), cwd: REPO,
      env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>, encoding: null,
    } as pty.IPtyForkOptions);
    ptys.add(child);
    child.onData((chunk) => ws.send(chunk as unknown as Buffer));
    child.onExit(() => ptys.delete(child));
    ws.on('message', (data: Buffer) => child.write(data.toString('utf8')));
    ws.on('close', () => child.kill('SIGKILL'));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      for (const child of ptys) child.kill('SIGKILL');
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise((r) => http.close(r));
    },
  };
}
