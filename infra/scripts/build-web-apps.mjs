#!/usr/bin/env node
// Builds the browser front end of every app that has one: apps/<app>/web-app/main.tsx
// (+ index.html, + styles.css) into dist/apps/<app>/web-app/, bundled by esbuild with
// content-hashed names so the assets can be cached for ever while index.html is served
// no-cache. Nothing is fetched at runtime: preact and everything else is bundled.
// Each front end is typechecked first with its own tsconfig.json (DOM lib, preact JSX).
//   node infra/scripts/build-web-apps.mjs           build every front end
//   node infra/scripts/build-web-apps.mjs --check   typecheck only
//   node infra/scripts/build-web-apps.mjs webmail   only the named app(s)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const checkOnly = process.argv.includes('--check');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const apps = readdirSync(join(ROOT, 'apps')).filter((a) => existsSync(join(ROOT, 'apps', a, 'web-app', 'main.tsx')) && (!only.length || only.includes(a)));

for (const app of apps) {
  const src = join(ROOT, 'apps', app, 'web-app');
  if (existsSync(join(src, 'tsconfig.json'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', join(src, 'tsconfig.json')], { stdio: 'inherit' });
  }
  if (checkOnly) continue;
  const out = join(ROOT, 'dist', 'apps', app, 'web-app');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const entryPoints = { app: join(src, 'main.tsx') };
  if (existsSync(join(src, 'styles.css'))) entryPoints.styles = join(src, 'styles.css');
  const result = await build({
    entryPoints,
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: join(out, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.svg': 'file', '.png': 'file', '.woff2': 'file' },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([, o]) => o.entryPoint);
  const js = outputs.map(([f]) => f).find((f) => f.endsWith('.js'));
  const css = outputs.map(([f]) => f).find((f) => f.endsWith('.css'));
  let html = readFileSync(join(src, 'index.html'), 'utf8');
  // Where the app serves its assets: '/' unless the page says otherwise, e.g. <!--asset-base:/console/-->.
  const base = /<!--asset-base:(\S+?)-->/.exec(html)?.[1] ?? '/';
  const rel = (f) => base + 'assets/' + basename(f);
  html = html.replace('<!--styles-->', css ? `<link rel="stylesheet" href="${rel(css)}">` : '');
  html = html.replace('<!--scripts-->', `<script type="module" src="${rel(js)}"></script>`);
  writeFileSync(join(out, 'index.html'), html);
  console.log(`web app ${app}: ${relative(ROOT, out)} (${[js, css].filter(Boolean).map((f) => basename(f)).join(', ')})`);
}
