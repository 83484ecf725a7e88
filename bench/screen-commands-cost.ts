// What reading relay commands from the screen costs the screen thread, per MiB of output: the same
// bytes written to a headless xterm with and without the detector, interleaved, CPU of this process
// (one thread does it all). `node --import tsx bench/screen-commands-cost.ts [MiB] [name prefix] [rounds]`.
// On a loaded machine CPU time per MiB varies 2-3x between runs; compare the minimums.
// Not part of `npm run bench`: the stream section measures the whole server; this says which part
// of the screen thread's time is the detector's (docs/performance.md).
import xtermHeadless from '@xterm/headless';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createScreenDetector } from '../server/relay-commands/screen-detector.mjs';

const mib = Number(process.argv[2] ?? 16);
const CHUNK = 64 * 1024;

function repeatTo(unit: Buffer, bytes: number): Buffer {
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / unit.length) }, () => unit)).subarray(0, bytes);
}

/** The stream bench's kind of flood: base64 lines, no `>`. */
const base64 = repeatTo(Buffer.from(Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i} `.repeat(8)).toString('base64').slice(0, 76) + '\r\n').join('')), mib << 20);
/** Source code / logs full of `>` (arrows, comparisons, HTML), an occasional command among them. */
const arrows = repeatTo(Buffer.from(Array.from({ length: 200 }, (_, i) => (i === 100 ? '->relay:Bob in the flood\r\n' : `  if (a${i} > b) return x => x->next; // <div>${i}</div>\r\n`)).join('')), mib << 20);
/** A recorded Claude Code session (frames, repaints, commands), over and over. */
const claude = (() => {
  const lines = readFileSync(join(import.meta.dirname, '..', 'test', 'spawn', 'fixtures', 'claude-code', 'claude-basic.jsonl'), 'utf8').trim().split('\n').slice(1);
  const bytes = Buffer.concat(lines.map((l) => JSON.parse(l)).filter((e) => e.d).map((e) => Buffer.from(e.d, 'base64')));
  return repeatTo(bytes, mib << 20);
})();

async function run(data: Buffer, detect: boolean): Promise<{ msPerMiB: number; commands: number }> {
  const term = new xtermHeadless.Terminal({ cols: 120, rows: 32, scrollback: 1000, allowProposedApi: true });
  let commands = 0;
  const detector = detect ? createScreenDetector(term, { onCommands: (c) => (commands += c.length) }) : undefined;
  const start = process.cpuUsage();
  for (let at = 0; at < data.length; at += CHUNK) {
    const chunk = new Uint8Array(data.subarray(at, at + CHUNK));
    await new Promise<void>((resolve) => (detector ? detector.write(chunk, resolve) : term.write(chunk, resolve)));
  }
  const used = process.cpuUsage(start);
  detector?.dispose();
  term.dispose();
  return { msPerMiB: (used.user + used.system) / 1000 / (data.length / (1 << 20)), commands };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rounds = Number(process.argv[4] ?? 5);
const show = (xs: number[]) => `median ${median(xs).toFixed(1)}, min ${Math.min(...xs).toFixed(1)}`;
const only = process.argv[3];
for (const [name, data] of ([['base64 (no >)', base64], ['code with > on every line', arrows], ['Claude Code session', claude]] as const).filter(([n]) => !only || n.startsWith(only))) {
  const off: number[] = [];
  const on: number[] = [];
  let commands = 0;
  for (let round = 0; round < rounds; round++) {
    // Alternating which goes first, so garbage one run leaves does not always land on the same side.
    for (const detect of round % 2 ? [true, false] : [false, true]) {
      const r = await run(data, detect);
      (detect ? on : off).push(r.msPerMiB);
      if (detect) commands = r.commands;
    }
  }
  console.log(`${name}: xterm alone ${show(off)} ms/MiB; with the detector ${show(on)}; ${commands} commands (${rounds} interleaved rounds)`);
}
