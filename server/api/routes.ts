import { buildOpenApiDocument } from './openapi';

/**
 * The HTTP API's routes and their methods, read from the OpenAPI document (server/api/openapi.ts) so that
 * the table cannot drift from what is documented; test/api/route-table.test.ts checks it against the
 * handlers app/api/**\/route.ts export. The custom server uses it to answer unknown paths (404) and
 * methods (405) as JSON before Next, whose own answers are an HTML page and an empty body.
 */

export interface ApiRoute {
  /** As documented, e.g. `/api/workers/{name}`. */
  template: string;
  /** Upper case, as handlers export them: GET, POST, DELETE. */
  methods: string[];
  pattern: RegExp;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function compile(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (/^\{\w+\}$/.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  // Next answers a trailing slash the same as none.
  return new RegExp(`^${source}/?$`);
}

export const API_ROUTES: readonly ApiRoute[] = Object.entries(buildOpenApiDocument().paths as Record<string, Record<string, unknown>>).map(
  ([template, item]) => ({
    template,
    methods: Object.keys(item).filter((k) => HTTP_METHODS.has(k)).map((k) => k.toUpperCase()),
    pattern: compile(template),
  }),
);

export function matchApiRoute(pathname: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => route.pattern.test(pathname));
}

/** The Allow header for a route: its methods, HEAD with GET, and OPTIONS (answered for every route). */
export function allowHeader(route: ApiRoute): string {
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  const allowed = new Set([...route.methods, ...(route.methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS']);
  return order.filter((m) => allowed.has(m)).join(', ');
}
