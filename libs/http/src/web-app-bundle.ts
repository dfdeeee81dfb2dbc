import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { HttpException } from '@nestjs/common';

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

/**
 * The page policy of a built single-page app: only its own scripts and styles
 * (nothing inline), API calls to itself, images of its own or as data: URLs,
 * never framed by others. `framesSelf`: it frames pages of its own (the
 * webmail's sandboxed message bodies).
 */
export function webAppCsp(opts: { framesSelf?: boolean } = {}): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    ...(opts.framesSelf ? ["frame-src 'self'"] : []),
    "font-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** The part of an HTTP response the bundle's senders need (express's Response has it). */
export interface WebAppResponse {
  setHeader(name: string, value: string): unknown;
  type(type: string): WebAppResponse;
  send(body: Buffer): unknown;
}

function secure(res: WebAppResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** The app's page, revalidated on every load so a new build is picked up; 503 with `notBuilt` when there is no build. */
export function sendWebAppIndex(res: WebAppResponse, bundle: WebAppBundle, csp: string, notBuilt: { code: string; message: string }): void {
  if (!bundle.index) throw new HttpException({ statusCode: 503, ...notBuilt }, 503);
  secure(res, csp);
  res.setHeader('Cache-Control', 'no-cache, private');
  res.type('html').send(bundle.index);
}

/** One content-hashed asset, cached for a year; 404 for any other name. */
export function sendWebAppAsset(res: WebAppResponse, bundle: WebAppBundle, name: string, csp: string): void {
  const file = /^[A-Za-z0-9._-]+$/.test(name) ? bundle.assets.get(name) : undefined;
  if (!file) throw new HttpException({ statusCode: 404, code: 'not_found', message: 'no such file' }, 404);
  secure(res, csp);
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  res.type(file.type).send(file.body);
}
