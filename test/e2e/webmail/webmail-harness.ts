import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { AppProcess, freePort } from '../../support/processes';

export const ROOT = join(__dirname, '..', '..', '..');

/** Debian's Chromium, headless, with nothing of its own talking to the network. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'dist/apps/cli/src/main.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function cliOk(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Ports and directories of one test file's own processes. */
export async function baseEnv(name: string): Promise<Record<string, string>> {
  return {
    DATA_DIR: mkdtempSync(join(tmpdir(), `mc-${name}-data-`)),
    REDIS_PREFIX: `${process.env.REDIS_PREFIX}-${name}`,
    MX_SMTP_HOST: '127.0.0.1',
    MX_SMTP_PORT: String(await freePort()),
    MX_HTTP_PORT: String(await freePort()),
    WORKER_HTTP_PORT: String(await freePort()),
    API_HTTP_PORT: String(await freePort()),
    WEBMAIL_HTTP_PORT: String(await freePort()),
    SWEEP_INTERVAL_MS: '500',
    RETRY_BASE_SECONDS: '1',
    RETRY_MAX_SECONDS: '2',
    SMTP_CONNECT_TIMEOUT_MS: '2000',
    // Tenants left by other test files have dead upstreams; this is not about the circuit breaker.
    BREAKER_MIN_FAILING_TENANTS: '1000000',
    CREDENTIAL_HMAC_SECRET: 'webmail-e2e-secret-webmail-e2e-secret-01',
  };
}

/** Starts the built apps into `procs` (so that afterAll stops them even when one fails to come up). */
export async function startApps(env: Record<string, string>, which: Array<'mx' | 'worker' | 'webmail'>, procs: Record<string, AppProcess>): Promise<void> {
  for (const w of which) procs[w] = new AppProcess(`dist/apps/${w}/src/main.js`, env, w).start();
  // A busy two-core CI machine can take a while to start three Nest apps at once.
  await Promise.all(Object.values(procs).map((p) => p.waitForLog(/"msg":"listening"/, 120_000)));
}

/** Where the screenshots of a run go: docs/screenshots when asked for (to commit them), else a temporary directory. */
export function screenshotDir(): string {
  const dir = process.env.WEBMAIL_SCREENSHOT_DIR ? join(ROOT, process.env.WEBMAIL_SCREENSHOT_DIR) : mkdtempSync(join(tmpdir(), 'mc-webmail-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Errors of our own page (the app, its assets): a console error from inside a sandboxed message frame is not ours. */
export function watchPage(page: Page, origin: string): { errors: string[]; dialogs: string[] } {
  const seen = { errors: [] as string[], dialogs: [] as string[] };
  page.on('pageerror', (e) => seen.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url ?? '';
    const ours = url === '' ? m.page()?.mainFrame() === page.mainFrame() && !/sandbox|Refused|Blocked/i.test(m.text()) : url.startsWith(`${origin}/`) && !url.includes('/html');
    if (ours) seen.errors.push(`console: ${m.text()} (${url})`);
  });
  page.on('dialog', (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return seen;
}

export const PASSWORD = 'Correct-Horse-Battery-Staple-42';

/**
 * Signs an employee in the way the text tells them: the sign-in page, address and the
 * one-time code; then the page asks for a new password, and the webmail opens.
 */
export async function signInWithCode(page: Page, baseUrl: string, address: string, code: string, password = PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  const codeForm = page.locator('form[action="/signin/code"]');
  if (!(await codeForm.count())) {
    // The code form may sit behind a "sign in with a code" link.
    await page.locator('a[href*="code"]').first().click();
  }
  const form = page.locator('form[action="/signin/code"]');
  await form.locator('input[name="address"]').fill(address);
  await form.locator('input[name="code"]').fill(code);
  await form.locator('button[type="submit"], input[type="submit"]').first().click();
  await page.waitForURL(/\/signin\/set-password/);
  const pw = page.locator('input[type="password"]');
  await pw.nth(0).fill(password);
  if ((await pw.count()) > 1) await pw.nth(1).fill(password);
  await page.locator('form button[type="submit"], form input[type="submit"]').first().click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.locator('.list .rows, .list .empty').first().waitFor();
}

export async function newPage(browser: Browser, width: number, height: number): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-GB', deviceScaleFactor: 1 });
  const page = await context.newPage();
  return { context, page };
}

export function codeOf(text: string): string {
  const m = /code:\s*(\S+?)[\s,.(]/i.exec(text);
  if (!m) throw new Error(`no code in "${text}"`);
  return m[1];
}

/**
 * What a screen reader or a low-vision reader would stumble on in the page as shown:
 * text under 4.5:1 against its background, form fields without a label, buttons
 * without a name, images without alt. Runs in the page (plain script, no DOM types here).
 */
const A11Y_CHECK = `(() => {
  const problems = [];
  const parse = (c) => { const m = /rgba?\\(([^)]+)\\)/.exec(c || ''); if (!m) return null; const p = m[1].split(',').map((x) => Number(x.trim())); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  const shown = (el) => { const r = el.getBoundingClientRect(); if (!r.width || !r.height) return false; for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e); if (s.visibility === 'hidden' || s.display === 'none' || Number(s.opacity) < 0.1) return false; } return true; };
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.split(' ').join('.') : '');
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.sr-only, [aria-hidden="true"], :disabled, iframe, svg')) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!text || !shown(el)) continue;
    const fg = lum(parse(getComputedStyle(el).color));
    const bg = lum(bgOf(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) problems.push('contrast ' + ratio.toFixed(2) + ' ' + where(el) + ' "' + text.slice(0, 30) + '"');
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) problems.push('no label ' + where(el));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!shown(el)) continue;
    if (!(el.textContent || '').trim() && !el.getAttribute('aria-label')) problems.push('no name ' + where(el));
  }
  for (const el of document.querySelectorAll('img')) if (!el.hasAttribute('alt')) problems.push('no alt ' + where(el));
  for (const el of document.querySelectorAll('iframe')) if (!el.getAttribute('title')) problems.push('no title ' + where(el));
  return problems;
})()`;

export async function a11yProblems(page: Page): Promise<string[]> {
  return page.evaluate(A11Y_CHECK) as Promise<string[]>;
}
