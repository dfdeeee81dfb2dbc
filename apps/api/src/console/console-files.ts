import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/** The built console: index.html and its content-hashed assets, read once at start-up. */
export interface ConsoleFiles {
  index: Buffer | null;
  assets: Map<string, { body: Buffer; type: string }>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

/** Where `npm run build` puts it (dist/apps/api/web-app), seen from the compiled or the source file. */
export function consoleDirCandidates(): string[] {
  return [join(__dirname, '..', '..', 'web-app'), join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'api', 'web-app'), join(process.cwd(), 'dist', 'apps', 'api', 'web-app')];
}

export function loadConsoleFiles(candidates = consoleDirCandidates()): ConsoleFiles {
  const dir = candidates.find((d) => existsSync(join(d, 'index.html')) && existsSync(join(d, 'assets')));
  const assets = new Map<string, { body: Buffer; type: string }>();
  if (!dir) return { index: null, assets };
  for (const name of readdirSync(join(dir, 'assets'))) {
    const file = join(dir, 'assets', name);
    if (statSync(file).isFile()) assets.set(name, { body: readFileSync(file), type: TYPES[extname(name)] ?? 'application/octet-stream' });
  }
  return { index: readFileSync(join(dir, 'index.html')), assets };
}

/** Only our own script and styles (no inline script or style), API calls to ourselves, nothing framed. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
