// ESM resolve hook of test/cluster/probe.mjs: notes every @nats-io module imported.
import { appendFileSync } from 'node:fs';

let out;
export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (out && (specifier.includes('@nats-io') || result.url.includes('/@nats-io/'))) appendFileSync(out, `module ${result.url}\n`);
  return result;
}
