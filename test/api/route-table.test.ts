import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_ROUTES, allowHeader, matchApiRoute } from '../../server/api/routes';

/**
 * The custom server answers unknown /api paths (404) and methods (405) itself from API_ROUTES, which
 * is read from the OpenAPI document. If a handler were added without documenting it, the server
 * would refuse it: this test keeps the document, the table and app/api/**\/route.ts the same.
 */

const APP_API = join(import.meta.dirname, '..', '..', 'app', 'api');
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function routeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return routeFiles(path);
    return entry.name === 'route.ts' ? [path] : [];
  });
}

function templateOf(file: string): string {
  const folder = relative(APP_API, file).split(sep).slice(0, -1);
  return ['/api', ...folder.map((segment) => segment.replace(/^\[(\w+)\]$/, '{$1}'))].join('/');
}

describe('API route table', () => {
  it('lists exactly the routes and methods app/api handlers export', async () => {
    const handlers: Record<string, string[]> = {};
    for (const file of routeFiles(APP_API)) {
      const mod = (await import(file)) as Record<string, unknown>;
      handlers[templateOf(file)] = METHODS.filter((m) => typeof mod[m] === 'function');
    }
    const table = Object.fromEntries(API_ROUTES.map((r) => [r.template, r.methods]));
    expect(table).toEqual(handlers);
  });

  it('matches a concrete path to its template, one segment per parameter', () => {
    expect(matchApiRoute('/api/workers/alice/output')?.template).toBe('/api/workers/{name}/output');
    expect(matchApiRoute('/api/workers/alice/')?.template).toBe('/api/workers/{name}');
    expect(matchApiRoute('/api/workers/alice/output/more')).toBeUndefined();
    expect(matchApiRoute('/api/openapi.json')?.template).toBe('/api/openapi.json');
    expect(matchApiRoute('/api/openapiXjson')).toBeUndefined();
    expect(allowHeader(matchApiRoute('/api/workers')!)).toBe('GET, HEAD, POST, OPTIONS');
    expect(allowHeader(matchApiRoute('/api/workers/x/input')!)).toBe('POST, OPTIONS');
  });
});
