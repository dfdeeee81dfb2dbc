import { loadWebAppBundle, WebAppBundle, webAppCsp, webAppDirCandidates } from '@app/http';

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
export const WEB_APP_CSP = webAppCsp({ framesSelf: true });
