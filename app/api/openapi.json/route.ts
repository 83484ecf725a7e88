import { buildOpenApiDocument } from '../../../server/api/openapi';
import { handle } from '../../../server/api/handler';
import { getRuntime } from '../../../server/runtime';

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
