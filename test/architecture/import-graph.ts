import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';

/**
 * The import graph of our own source, as esbuild resolves it (the bundler already in node_modules,
 * so `index.ts`, `.mjs` and extension-less paths resolve as they do at run time). esbuild drops
 * type-only imports before it resolves, so each file is read with them turned into plain imports
 * (and `import('x').T` type references into side-effect imports): a type is an arrow too.
 */

/** Folders whose files are in the graph (tests, e2e and bench are left out: they may use anything). */
export const SOURCE_ROOTS = ['lib', 'server', 'client', 'components', 'app'] as const;

export type ImportGraph = Map<string, Set<string>>;

const TS_FILE = /\.(ts|tsx|mts)$/;

/** Type-only import syntax made into value imports, so the bundler keeps (and resolves) them. */
export function typeImportsAsValues(source: string): string {
  let text = source
    .replace(/\bimport\s+type\s+(?=[\w${*])/g, 'import ')
    .replace(/\bexport\s+type\s+(?=[{*])/g, 'export ')
    // `{ type A, B }` in an import or export clause.
    .replace(/\b(import|export)(\s*\{)([^}]*)\}/g, (_m, kw: string, open: string, inner: string) => `${kw}${open}${inner.replace(/(^|[,\s])type\s+(?=[\w$])/g, '$1')}}`);
  const typeRefs = [...source.matchAll(/\bimport\(\s*(['"])([^'"]+)\1\s*\)\s*\./g)].map((m) => m[2]);
  if (typeRefs.length) text += `\n${typeRefs.map((spec) => `import ${JSON.stringify(spec)};`).join('\n')}\n`;
  return text;
}

const keepTypeImports: Plugin = {
  name: 'keep-type-imports',
  setup(b) {
    b.onLoad({ filter: TS_FILE }, (args) => ({
      contents: typeImportsAsValues(readFileSync(args.path, 'utf8')),
      loader: args.path.endsWith('x') ? 'tsx' : 'ts',
    }));
  },
};

export function sourceFiles(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...SOURCE_ROOTS], { cwd: root, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((f) => /\.(ts|tsx|mts|mjs)$/.test(f) && !/\.test\.ts$/.test(f) && !f.endsWith('.d.ts'));
}

/** file → the files of ours it imports (paths relative to `root`, forward slashes). */
export async function importGraph(root: string): Promise<ImportGraph> {
  const files = sourceFiles(root);
  const result = await build({
    absWorkingDir: root,
    entryPoints: files,
    bundle: true,
    write: false,
    metafile: true,
    outdir: 'import-graph-out',
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
    loader: { '.css': 'empty', '.svg': 'empty', '.json': 'json' },
    // Keeps value imports that are only used as types (verbatim), so no arrow is lost.
    tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, jsx: 'react-jsx' } },
    plugins: [keepTypeImports],
  });
  const ours = new Set(files);
  const graph: ImportGraph = new Map(files.map((f) => [f, new Set<string>()]));
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!ours.has(file)) continue;
    for (const imported of input.imports) if (ours.has(imported.path)) graph.get(file)!.add(imported.path);
  }
  return graph;
}

/** `server/spawn` for server/spawn/worker.ts, `server/index` for server/index.ts, `client` for client/x.ts. */
export function roomOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'server' || parts[0] === 'lib') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : file.replace(/\.[^.]+$/, '');
  return parts[0];
}

/** Strongly connected components of more than one file (Tarjan), each sorted. */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}
