/** Boot: the session (branding, language, CSRF token) first; without one, the sign-in page. */
import { render } from 'preact';
import { ApiError, get, setCsrfToken } from './api';
import { App } from './app';
import { applyBrand } from './brand';
import type { Session } from './types';

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  let session: Session;
  try {
    session = await get<Session>('/api/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // on its way to /signin
    root.textContent = '';
    const p = document.createElement('p');
    p.className = 'error boot';
    p.setAttribute('role', 'alert');
    p.textContent = navigator.language.startsWith('de') ? 'Die Webmail ist gerade nicht erreichbar. Bitte laden Sie die Seite neu.' : 'The webmail cannot be reached right now. Please reload the page.';
    root.appendChild(p);
    return;
  }
  session.sharedMailboxes ??= [];
  setCsrfToken(session.csrfToken);
  applyBrand(session.tenant.primaryColor);
  root.textContent = '';
  render(<App session={session} />, root);
}

void boot();
