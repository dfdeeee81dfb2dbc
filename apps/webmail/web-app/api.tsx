/** The one way the app talks to the server: same-origin JSON, the session's CSRF token on every mutation. */
import { jsonApi } from '../../../libs/web-client/json-api';

export { ApiError, qs } from '../../../libs/web-client/json-api';

/** Where a visitor without a session goes. */
export function toSignin(): void {
  location.assign('/signin');
}

const client = jsonApi({ onUnauthenticated: () => toSignin() });

export const { api, get, post, put, del, setCsrfToken } = client;
