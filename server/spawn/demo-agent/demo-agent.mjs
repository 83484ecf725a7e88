#!/usr/bin/env node
// The demo agent (`cli: 'demo'`): behaves like an AI agent in a terminal, deterministically, so
// tests and demos can run without a real AI CLI. Grammar: docs/workers.md, "Demo agent".
// Plain ESM, no build step, no dependencies.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';

const name = process.env.AGENT_RELAY_NAME || 'demo';
const outbox = process.env.AGENT_RELAY_OUTBOX || '';
const out = process.stdout;
const C = { dim: '\x1b[2m', bold: '\x1b[1m', cyan: '\x1b[36m', green: '\x1b[32m', yellow: '\x1b[33m', magenta: '\x1b[35m', reset: '\x1b[0m' };
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

let replyToAll = false;
/** Set by "ask <Name> for a review then exit": exit once <Name> answers. */
let awaitingReviewFrom;
let outboxCounter = 0;
let queue = Promise.resolve();
let typed = '';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const write = (s) => out.write(s);
// Each printed line starts at column 0 with the prompt cleared, so relay commands stand alone.
const say = (s) => write(`\r\x1b[K${s}\r\n`);
const prompt = () => write(`\r\x1b[K${C.green}>${C.reset} ${typed}`);

async function think(ms = 240) {
  // Only \r and erase-line: no cursor-up, so nothing here looks like a screen redraw.
  for (let i = 0; i * 80 < ms; i++) {
    write(`\r\x1b[K${C.magenta}${SPINNER[i % SPINNER.length]}${C.reset} ${C.dim}thinking…${C.reset}`);
    await sleep(80);
  }
  write('\r\x1b[K');
}

function relay(to, text) {
  say(`->relay:${to} ${text}`);
}

function writeOutbox(to, text) {
  const id = `${name}-${++outboxCounter}`;
  mkdirSync(outbox, { recursive: true });
  writeFileSync(join(outbox, id), `TO: ${to}\n\n${text}`);
  say(`->relay-file:${id}`);
}

/**
 * "edit FILE a|b|c" writes the lines a, b, c to FILE (replacing it); "append FILE a|b" adds lines.
 * Paths are relative to the agent's working directory and stay inside it, as an agent's edits would.
 */
function editFile(file, text, append) {
  const rel = normalize(file);
  if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) {
    say(`${C.yellow}demo: ${file} is outside my working directory; not editing it${C.reset}`);
    return;
  }
  const lines = text.split('|');
  const body = `${lines.join('\n')}\n`;
  mkdirSync(dirname(rel), { recursive: true });
  if (append) appendFileSync(rel, body);
  else writeFileSync(rel, body);
  say(`${C.green}${append ? 'appended to' : 'edited'} ${rel} (${lines.length} line${lines.length === 1 ? '' : 's'})${C.reset}`);
}

/** One instruction of the grammar; returns false when the text is not one. */
async function instruction(text) {
  let m;
  const t = text.trim();
  if (!t) return true;
  if (/^reply to every message$/i.test(t)) {
    replyToAll = true;
    say(`${C.cyan}ok: I will reply to every message${C.reset}`);
  } else if ((m = /^ask (\S+) for a review then exit$/i.exec(t))) {
    awaitingReviewFrom = m[1];
    await think();
    relay(m[1], 'please review my work');
  } else if ((m = /^write outbox to (\S+?):\s*(.*)$/i.exec(t))) {
    await think();
    writeOutbox(m[1], m[2]);
  } else if ((m = /^send (\S+) (.+)$/i.exec(t))) {
    await think();
    relay(m[1], m[2]);
  } else if ((m = /^block (\S+) (.+)$/i.exec(t))) {
    await think();
    say(`->relay:${m[1]} <<<`);
    for (const line of m[2].split('|')) say(line.trim());
    say('>>>');
  } else if ((m = /^spawn (\S+) (\S+)(?: (.*))?$/i.exec(t))) {
    await think();
    say(`->relay:spawn ${m[1]} ${m[2]} "${(m[3] ?? '').replace(/"/g, '\\"')}"`);
  } else if ((m = /^release (\S+)$/i.exec(t))) {
    await think();
    say(`->relay:release ${m[1]}`);
  } else if ((m = /^(edit|append) (\S+) (.*)$/i.exec(t))) {
    await think();
    editFile(m[2], m[3], m[1].toLowerCase() === 'append');
  } else if ((m = /^print (\d+) bytes$/i.exec(t))) {
    printBytes(Number(m[1]));
  } else if ((m = /^wait (\d+)$/i.exec(t))) {
    await sleep(Number(m[1]));
  } else if ((m = /^(?:exit|\/exit|\/quit)(?: (\d+))?$/i.exec(t))) {
    say(`${C.yellow}bye${C.reset}`);
    process.exit(Number(m[1] ?? 0));
  } else return false;
  return true;
}

function printBytes(n) {
  // Deterministic: a-z repeating, 64 KiB at a time, then a newline.
  const block = Buffer.alloc(Math.min(n, 65536));
  for (let i = 0; i < block.length; i++) block[i] = 97 + (i % 26);
  let left = n;
  while (left > 0) {
    const part = block.subarray(0, Math.min(left, block.length));
    out.write(part);
    left -= part.length;
  }
  write('\r\n');
}

async function onMessage(from, body) {
  say(`${C.cyan}← ${from}:${C.reset} ${body}`);
  if (awaitingReviewFrom && from === awaitingReviewFrom) {
    await think();
    say(`${C.green}review received from ${from}, exiting${C.reset}`);
    process.exit(0);
  }
  // "got it:" replies are never answered, so two replying agents do not loop forever.
  if (replyToAll && !/^got it:/.test(body)) {
    await think();
    relay(from, `got it: ${body}`);
  }
}

async function onLine(line) {
  const msg = /^Relay message from (\S+) \[[^\]]*\](?: \[thread:[^\]]*\])?: (.*)$/.exec(line);
  if (msg) return onMessage(msg[1], msg[2]);
  let handled = false;
  for (const part of line.split(';')) handled = (await instruction(part)) || handled;
  if (!handled) {
    await think();
    say(`${C.dim}demo:${C.reset} you said "${line}"`);
  }
}

function onInput(data) {
  for (const ch of data.toString('utf8')) {
    if (ch === '\r' || ch === '\n') {
      const line = typed;
      typed = '';
      write('\r\n');
      queue = queue.then(() => onLine(line)).catch(() => {}).then(prompt);
    } else if (ch === '\x7f' || ch === '\b') {
      if (typed) {
        typed = typed.slice(0, -1);
        write('\b \b');
      }
    } else if (ch === '\x03') {
      say('^C');
      process.exit(130);
    } else if (ch === '\x04' && !typed) {
      process.exit(0);
    } else if (ch >= ' ') {
      typed += ch;
      write(ch);
    }
  }
}

/** The banner box, as wide as its text (names are ASCII, one column per character). */
function banner() {
  const plain = ` I am ${name}. Type an instruction or /exit. `;
  const title = '─ demo agent ';
  const width = Math.max(plain.length, title.length + 1);
  const line = (s) => `${C.bold}${C.cyan}${s}${C.reset}`;
  say(line(`╭${title}${'─'.repeat(width - title.length)}╮`));
  say(`${line('│')} I am ${C.bold}${name}${C.reset}. Type an instruction or /exit.${' '.repeat(width - plain.length)} ${line('│')}`);
  say(line(`╰${'─'.repeat(width)}╯`));
}

banner();
prompt();
if (process.stdin.isTTY) process.stdin.setRawMode(true);
process.stdin.on('data', onInput);
process.stdin.on('end', () => process.exit(0));
