import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

/**
 * A built single-page app (infra/scripts/build-web-apps.mjs writes
 * dist/apps/<app>/web-app/): index.html and its content-hashed assets, read
 * once at start-up, so serving them never touches the disk.
 */
export interface WebAppBundle {
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

/**
 * Where the bundle of `app` is, seen from a file of its Nest app two levels
 * below the app's folder (compiled into dist, or run from source by the tests),
 * or from the working directory.
 */
export function webAppDirCandidates(app: string, fromDir: string): string[] {
  return [join(fromDir, '..', '..', 'web-app'), join(fromDir, '..', '..', '..', '..', 'dist', 'apps', app, 'web-app'), join(process.cwd(), 'dist', 'apps', app, 'web-app')];
}

export function loadWebAppBundle(candidates: string[]): WebAppBundle {
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
