import { buildOpenApiDocument } from '../../../lib/api/openapi';
import { handle } from '../../../lib/api/handler';
import { getRuntime } from '../../../lib/runtime';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export function GET(): Promise<Response> {
  return handle(() => {
    let version: string | undefined;
    try {
      version = getRuntime().config.version;
    } catch {
      version = undefined;
    }
    return Response.json(buildOpenApiDocument(version));
  });
}
