import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApi } from '../../support/admin-api';

export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export interface ScimResponse {
  status: number;
  body: any;
  contentType: string;
  headers: Headers;
}

/** Speaks to /scim/v2 as an identity provider does: bearer token, application/scim+json both ways. */
export function scimClient(api: Pick<TestApi, 'url'>, token: string | null) {
  async function request(method: string, path: string, body?: unknown, opts: { rawBody?: string; contentType?: string } = {}): Promise<ScimResponse> {
    const headers: Record<string, string> = { accept: 'application/scim+json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined || body !== undefined) {
      payload = opts.rawBody ?? JSON.stringify(body);
      headers['content-type'] = opts.contentType ?? 'application/scim+json';
    }
    const res = await fetch(new URL(`/scim/v2${path}`, api.url), { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, contentType: res.headers.get('content-type') ?? '', headers: res.headers };
  }
  return {
    request,
    get: (path: string) => request('GET', path),
    post: (path: string, body: unknown) => request('POST', path, body),
    put: (path: string, body: unknown) => request('PUT', path, body),
    patch: (path: string, body: unknown) => request('PATCH', path, body),
    delete: (path: string) => request('DELETE', path),
  };
}

export type ScimClient = ReturnType<typeof scimClient>;

/** A recorded request body with `{{name}}` placeholders filled in. */
export function scimFixture(name: string, vars: Record<string, string> = {}): any {
  let text = readFileSync(join(__dirname, '../../fixtures/scim', name), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(v);
  return JSON.parse(text);
}

export const filterQuery = (filter: string, extra = '') => `?filter=${encodeURIComponent(filter)}${extra}`;
