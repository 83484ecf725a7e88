import { networkInterfaces, hostname } from 'node:os';

/**
 * Which Host header values (and so which origins) name this server. The allow-list is what stops DNS
 * rebinding: a page on evil.example whose name now resolves to 127.0.0.1 still sends
 * `Host: evil.example`, which is refused.
 */

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || h === '[::1]' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** `::1` → `[::1]`: how an IPv6 address appears in a Host header or URL. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Host names accepted for a server bound to `bindHost`. A wildcard bind (0.0.0.0, ::) is reached
 * through the machine's own addresses and name, so those are accepted too; nothing else is.
 */
export function allowedHostNames(bindHost: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  names.add(hostForUrl(bindHost.toLowerCase()));
  if (WILDCARD_HOSTS.has(bindHost)) {
    for (const list of Object.values(networkInterfaces())) {
      for (const addr of list ?? []) names.add(hostForUrl(addr.address.toLowerCase()));
    }
    names.add(hostname().toLowerCase());
  }
  return names;
}

/** Splits `name:port` / `[v6]:port`; port undefined when absent. */
export function parseHostHeader(value: string): { name: string; port?: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) return undefined;
  return { name: match[1].toLowerCase(), port: match[2] === undefined ? undefined : Number(match[2]) };
}

/** True when `hostHeader` names this server: an allowed name and the port it listens on. */
export function hostHeaderAllowed(hostHeader: string | undefined, allowed: Set<string>, port: number): boolean {
  if (!hostHeader) return false;
  const parsed = parseHostHeader(hostHeader);
  if (!parsed || !allowed.has(parsed.name)) return false;
  // Browsers leave the port out only when it is the scheme's default.
  return parsed.port === undefined ? port === 80 : parsed.port === port;
}

/** True when `origin` is this server's own origin (http, allowed host, our port). */
export function originAllowed(origin: string, allowed: Set<string>, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // includes the opaque origin "null"
  }
  if (url.protocol !== 'http:' || url.pathname !== '/' || url.username || url.password) return false;
  return hostHeaderAllowed(url.host, allowed, port);
}
