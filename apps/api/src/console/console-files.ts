import { loadWebAppBundle, WebAppBundle, webAppCsp, webAppDirCandidates } from '@app/http';

/** The built console: index.html and its content-hashed assets, read once at start-up. */
export type ConsoleFiles = WebAppBundle;

export function loadConsoleFiles(candidates = webAppDirCandidates('api', __dirname)): ConsoleFiles {
  return loadWebAppBundle(candidates);
}

/** Only our own script and styles (no inline script or style), API calls to ourselves, nothing framed. */
export const CONSOLE_CSP = webAppCsp();
