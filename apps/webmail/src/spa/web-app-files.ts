import { loadWebAppBundle, WebAppBundle, webAppDirCandidates } from '@app/http';

/** The built single-page app: index.html and its content-hashed assets, read once at start-up. */
export type WebAppFiles = WebAppBundle;

export function loadWebAppFiles(candidates = webAppDirCandidates('webmail', __dirname)): WebAppFiles {
  return loadWebAppBundle(candidates);
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
