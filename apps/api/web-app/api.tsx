/** The console's one way to the server: same-origin JSON, the session's CSRF token on every change. */
import { jsonApi } from '../../../libs/web-client/json-api';

export { ApiError, qs } from '../../../libs/web-client/json-api';

let onUnauthenticated: () => void = () => undefined;

/** What to do when the session is gone (show the sign-in form). */
export function whenSignedOut(fn: () => void): void {
  onUnauthenticated = fn;
}

// A wrong password or code at sign-in is a 401 too; that is an answer, not a lost session.
const client = jsonApi({ onUnauthenticated: (path) => !path.startsWith('/api/auth/login') && !path.startsWith('/api/auth/totp') && onUnauthenticated() });

export const { api, get, post, patch, del, setCsrfToken } = client;
