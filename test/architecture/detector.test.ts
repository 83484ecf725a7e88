import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cycles, importGraph, roomOf, typeImportsAsValues } from './import-graph';

/** The import check would pass silently if it saw no arrows: here it is shown the arrows it must see. */

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'import-graph-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  execFileSync('git', ['init', '-q'], { cwd: root });
  return root;
}

describe('the import graph', () => {
  it('keeps type-only imports, inline type specifiers and import("x").T references', () => {
    expect(typeImportsAsValues("import type { A } from './a';")).toBe("import { A } from './a';");
    expect(typeImportsAsValues("import { type A, b } from './a';")).toBe("import { A, b } from './a';");
    expect(typeImportsAsValues("export type { A } from './a';")).toBe("export { A } from './a';");
    expect(typeImportsAsValues('export type A = number;')).toBe('export type A = number;');
    expect(typeImportsAsValues("let x: import('./b').B;")).toContain('import "./b";');
  });

  it('finds value, type-only, re-export, index and dynamic imports, and a type-only circle', async () => {
    const root = tree({
      'server/a/index.ts': "import type { B } from '../b/b';\nexport const a = 1 as unknown as B;\n",
      'server/b/b.ts': "import { type C } from '../c';\nexport type B = C;\nexport const load = () => import('./late');\n",
      'server/b/late.ts': 'export const late = 1;\n',
      'server/c.ts': "export type { A } from './a/types';\nexport type C = number;\n",
      'server/a/types.ts': "export type A = import('../c').C;\n",
      'lib/x.ts': "import { a } from '../server/a';\nexport const x = a;\n",
    });
    const graph = await importGraph(root);
    expect([...graph.get('lib/x.ts')!]).toEqual(['server/a/index.ts']);
    expect(graph.get('server/a/index.ts')).toContain('server/b/b.ts');
    expect(graph.get('server/b/b.ts')).toContain('server/c.ts');
    expect(graph.get('server/b/b.ts')).toContain('server/b/late.ts');
    expect(graph.get('server/c.ts')).toContain('server/a/types.ts');
    expect(cycles(graph)).toEqual([['server/a/types.ts', 'server/c.ts']]);
    expect(['server/a/index.ts', 'server/c.ts', 'lib/x.ts', 'client/q.ts'].map(roomOf)).toEqual(['server/a', 'server/c', 'lib/x', 'client']);
  });
});
