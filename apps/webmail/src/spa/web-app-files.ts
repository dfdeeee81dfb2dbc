import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/** The built single-page app: index.html and its content-hashed assets, read once at start-up. */
export interface WebAppFiles {
  index: Buffer | null;
  assets: Map<string, { body: Buffer; type: string }>;
  dir: string | null;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Where `npm run build` puts the app (dist/apps/webmail/web-app), seen from the compiled or the source file. */
export function webAppDirCandidates(): string[] {
  return [join(__dirname, '..', '..', 'web-app'), join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'webmail', 'web-app'), join(process.cwd(), 'dist', 'apps', 'webmail', 'web-app')];
}

export function loadWebAppFiles(candidates = webAppDirCandidates()): WebAppFiles {
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'assets'))) ?? null;
  const assets = new Map<string, { body: Buffer; type: string }>();
  if (!dir) return { index: null, assets, dir };
  for (const name of readdirSync(join(dir, 'assets'))) {
    const file = join(dir, 'assets', name);
    if (!statSync(file).isFile()) continue;
    assets.set(name, { body: readFileSync(file), type: TYPES[extname(name)] ?? 'application/octet-stream' });
  }
  return { index: readFileSync(join(dir, 'index.html')), assets, dir };
}

/**
 * The page's policy: only our own scripts and styles, no inline script, API calls to
 * ourselves, the tenant's logo as a data: URL, and frames only from ourselves (the
 * sandboxed, sanitized message bodies).
 */
export const WEB_APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
