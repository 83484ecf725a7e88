import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cycles, importGraph, roomOf, type ImportGraph } from './import-graph';

/**
 * The house rules of docs/architecture.md, checked on the import graph of the source (type imports
 * included): `lib/` holds only what both sides share, `server/` takes nothing of the browser's, the
 * rooms of the map import only rooms in their row or above it in its table, and no file imports itself in a
 * circle. The map is the one place to change: a new room is a row, an accepted exception a list item
 * "- `from` → `to`: why" under "Documented exceptions".
 */

const ROOT = join(__dirname, '..', '..');
const MAP = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

function section(title: string): string {
  const start = MAP.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`docs/architecture.md has no section "## ${title}"`);
  const end = MAP.indexOf('\n## ', start + 3);
  return MAP.slice(start, end < 0 ? undefined : end);
}

/** Room → its row in the map's table (0 at the top: used by the rows below it). */
function ranks(): Map<string, number> {
  const rows = section('Rooms').split('\n').filter((l) => l.startsWith('| `'));
  const rank = new Map<string, number>();
  rows.forEach((row, i) => {
    const first = row.split('|')[1];
    for (const m of first.matchAll(/`([^`]+)`/g)) rank.set(m[1].replace(/\/$/, '').replace(/\.(ts|tsx|mjs)$/, ''), i);
  });
  return rank;
}

/** The arrows the map accepts although they run down its table: list items "- `from` → `to`: why". */
function exceptions(): Set<string> {
  const text = section('Documented exceptions');
  return new Set([...text.matchAll(/^- `([^`]+)` → `([^`]+)`/gm)].map((m) => `${m[1]} → ${m[2]}`));
}

function arrows(graph: ImportGraph): Map<string, string[]> {
  const byRooms = new Map<string, string[]>();
  for (const [from, tos] of graph) {
    for (const to of tos) {
      const key = `${roomOf(from)} → ${roomOf(to)}`;
      if (roomOf(from) === roomOf(to)) continue;
      (byRooms.get(key) ?? byRooms.set(key, []).get(key)!).push(`${from} → ${to}`);
    }
  }
  return byRooms;
}

describe('the house rules of docs/architecture.md', () => {
  let graph: ImportGraph;
  beforeAll(async () => {
    graph = await importGraph(ROOT);
  }, 60_000);

  it('reads a real graph (the scan found the files and their imports)', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('server/index.ts')).toContain('server/spawn/index.ts');
    // A type-only import is an arrow too.
    expect(graph.get('server/runtime.ts')).toContain('server/spawn/types.ts');
  });

  it('lib/ imports nothing of server/, client/, components/ or app/', () => {
    const wrong = [...graph].flatMap(([from, tos]) => (from.startsWith('lib/') ? [...tos].filter((to) => !to.startsWith('lib/')).map((to) => `${from} → ${to}`) : []));
    expect(wrong).toEqual([]);
  });

  it('server/ imports no browser code (client/, components/, app/)', () => {
    const wrong = [...graph].flatMap(([from, tos]) =>
      from.startsWith('server/') ? [...tos].filter((to) => /^(client|components|app)\//.test(to)).map((to) => `${from} → ${to}`) : [],
    );
    expect(wrong).toEqual([]);
  });

  it('the browser code imports nothing of server/ (app/ renders and routes on the server and may)', () => {
    const wrong = [...graph].flatMap(([from, tos]) =>
      /^(client|components)\//.test(from) ? [...tos].filter((to) => to.startsWith('server/')).map((to) => `${from} → ${to}`) : [],
    );
    expect(wrong).toEqual([]);
  });

  it('every room is on the map, and each arrow runs up its table or is a documented exception', () => {
    const rank = ranks();
    const rooms = new Set([...graph.keys()].map(roomOf));
    expect([...rooms].filter((r) => !rank.has(r)).sort(), 'rooms missing from the table in docs/architecture.md').toEqual([]);
    const allowed = exceptions();
    const upward = [...arrows(graph)]
      .filter(([key]) => {
        const [from, to] = key.split(' → ');
        return rank.get(to)! > rank.get(from)! && !allowed.has(key);
      })
      .map(([key, files]) => `${key} (${files.join(', ')})`);
    expect(upward).toEqual([]);
  });

  it('each documented exception still exists (a fixed one leaves the map)', () => {
    const present = new Set(arrows(graph).keys());
    expect([...exceptions()].filter((e) => !present.has(e))).toEqual([]);
  });

  it('no circle between rooms, and no file imports itself through others', () => {
    const rooms: ImportGraph = new Map();
    for (const key of arrows(graph).keys()) {
      const [from, to] = key.split(' → ');
      (rooms.get(from) ?? rooms.set(from, new Set()).get(from)!).add(to);
    }
    expect(cycles(rooms)).toEqual([]);
    expect(cycles(graph)).toEqual([]);
  });
});
