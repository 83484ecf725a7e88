/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native modules are loaded by Node at runtime, never bundled.
  serverExternalPackages: ['node-pty', 'better-sqlite3', 'pino'],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
