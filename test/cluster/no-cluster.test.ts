import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterConfigError, resolveClusterConfig } from '../../server/cluster/config';

/**
 * Issue 12, item 4 of the acceptance: without --cluster nothing changes. No NATS module is even
 * loaded: only server/cluster imports @nats-io, and the only way in from the rest of the server is
 * the dynamic import in server/index.ts, taken when a cluster is configured. The settings are read
 * by a module that loads no NATS code.
 */

const ROOT = resolve(import.meta.dirname, '..', '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|tsx|mjs)$/.test(entry) && !/\.test\.ts$/.test(entry)) out.push(path);
  }
  return out;
}

/** Static imports of a file (not `import type`, not dynamic `import()`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
}

function project(): string {
  const d = mkdtempSync(join(tmpdir(), 'relay-nocluster-'));
  dirs.push(d);
  mkdirSync(join(d, '.agent-relay'));
  return d;
}

describe('without a cluster', () => {
  it('no module outside server/cluster imports NATS, and none imports server/cluster statically but its config reader', () => {
    const offenders: string[] = [];
    for (const folder of ['server', 'lib', 'app', 'components', 'bin']) {
      for (const file of sources(join(ROOT, folder))) {
        const rel = relative(ROOT, file);
        const inCluster = rel.startsWith('server/cluster/');
        for (const spec of staticImports(file)) {
          if (spec.startsWith('@nats-io/') && !inCluster) offenders.push(`${rel} → ${spec}`);
          const target = spec.startsWith('.') ? relative(ROOT, resolve(file, '..', spec)) : '';
          if (!inCluster && target.startsWith('server/cluster') && target !== 'server/cluster/config') offenders.push(`${rel} → ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
    // The config reader and what it needs load no NATS code either.
    for (const f of ['config.ts', 'names.ts']) {
      expect(staticImports(join(ROOT, 'server/cluster', f)).filter((s) => s.startsWith('@nats-io/') || s === './connection')).toEqual([]);
    }
    // server/index.ts reaches the cluster only through a dynamic import.
    expect(readFileSync(join(ROOT, 'server/index.ts'), 'utf8')).toMatch(/await import\('\.\/cluster'\)/);
  });

  it('no flag and no config section: not a node', () => {
    const p = project();
    expect(resolveClusterConfig({}, join(p, '.agent-relay'), p)).toBeUndefined();
    writeFileSync(join(p, '.agent-relay', 'config.json'), JSON.stringify({ worktree: { copy: ['.env'] } }));
    expect(resolveClusterConfig({}, join(p, '.agent-relay'), p)).toBeUndefined();
  });

  it('flags and config.json, flags winning; bad values refused with a sentence', () => {
    const p = project();
    const data = join(p, '.agent-relay');
    writeFileSync(join(data, 'config.json'), JSON.stringify({ cluster: { url: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], node: 'laptop', name: 'team', tokenFile: 'secrets/nats-token' } }));
    expect(resolveClusterConfig({}, data, p)).toMatchObject({ servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], node: 'laptop', cluster: 'team', tokenFile: join(p, 'secrets/nats-token') });
    expect(resolveClusterConfig({ cluster: 'tls://h:4222', node: 'box' }, data, p)).toMatchObject({ servers: ['tls://h:4222'], node: 'box', cluster: 'team' });
    expect(resolveClusterConfig({ cluster: 'nats://h:1' }, join(project(), '.agent-relay'), p)).toMatchObject({ cluster: 'default' });
    expect(() => resolveClusterConfig({ node: 'x' }, join(project(), '.agent-relay'), p)).toThrow(/need --cluster/);
    expect(() => resolveClusterConfig({ cluster: 'http://h:1' }, join(project(), '.agent-relay'), p)).toThrow(ClusterConfigError);
    expect(() => resolveClusterConfig({ cluster: 'nats://h:1', node: '../x' }, join(project(), '.agent-relay'), p)).toThrow(/--node/);
    expect(() => resolveClusterConfig({ cluster: 'nats://h:1', clusterCreds: 'a', clusterTokenFile: 'b' }, join(project(), '.agent-relay'), p)).toThrow(/either --cluster-creds or --cluster-token-file/);
    writeFileSync(join(data, 'config.json'), JSON.stringify({ cluster: { url: 'nats://h:1', bogus: true } }));
    expect(() => resolveClusterConfig({}, data, p)).toThrow(/config\.json: cluster/);
    writeFileSync(join(data, 'config.json'), '{not json');
    expect(() => resolveClusterConfig({}, data, p)).toThrow(/not valid JSON/);
  });
});
