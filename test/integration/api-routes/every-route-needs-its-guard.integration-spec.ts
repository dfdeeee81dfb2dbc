import { randomUUID } from 'node:crypto';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { createTestTenant, TestTenant } from '../../support/factories';
import { anonymous, apiKeyClient, ApiClient, createAdmin, signIn, startTestApi, TestApi } from '../../support/admin-api';
import { AdminRole, IS_PUBLIC, MIN_ROLE, ROLE_RANK } from '../../../apps/api/src/auth/principal';

/**
 * The route table test: every route the running api serves is enumerated
 * (from Express's router, so routes added later are included without
 * touching this file) and called without credentials. Only the routes listed
 * here may answer anything but 401. A viewer then calls every route that
 * needs more than a viewer and must get 403.
 */
const PUBLIC_ROUTES = new Set([
  'POST /api/auth/login', // the way in
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
  'POST /twilio/status', // Twilio's receipts, checked by their own signature (403 without it)
  'GET /', // redirects to the console
  'GET /console', // the console's page and assets hold no data; it signs in through the API
  'GET /console/assets/:name',
]);
/** Served by @nestjs/swagger outside Nest's router: the OpenAPI UI and document (no data). */
const PUBLIC_PREFIXES = ['GET /api/docs'];
/**
 * @Public() to the admin guard because they authenticate in their own guard
 * (SCIM's per-tenant bearer tokens): they are still called without
 * credentials below and must answer 401.
 */
const OWN_AUTHENTICATION_PREFIXES = ['/scim/v2/', '/scim/v2'];
const hasOwnAuthentication = (k: string) => OWN_AUTHENTICATION_PREFIXES.some((p) => k.split(' ')[1] === p || k.split(' ')[1].startsWith(p.endsWith('/') ? p : `${p}/`));
const isPublic = (k: string) => PUBLIC_ROUTES.has(k) || PUBLIC_PREFIXES.some((p) => k.startsWith(p));

interface Route {
  method: string;
  path: string;
}

const key = (r: Route) => `${r.method} ${r.path}`;
/** `/scim/v2/Users/` and `/scim/v2/Users` are one route to Express (non-strict routing). */
const normalize = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);

/** Every (method, path) in the Express app's router, as Express matches them. */
function expressRoutes(api: TestApi): Route[] {
  const express = api.app.getHttpAdapter().getInstance() as { router?: { stack: unknown[] }; _router?: { stack: unknown[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const routes: Route[] = [];
  for (const layer of stack as Array<{ route?: { path: string | string[]; methods: Record<string, boolean> } }>) {
    if (!layer.route) continue;
    // @All() registers every method Express knows; the ones a client sends are enough.
    const methods = Object.entries(layer.route.methods).filter(([m, on]) => on && m !== '_all').map(([m]) => m.toUpperCase());
    const sent = methods.length > 10 ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] : methods;
    for (const path of Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path]) {
      for (const method of sent) routes.push({ method, path: normalize(path) });
    }
  }
  return routes;
}

const joinPath = (...parts: string[]) => '/' + parts.map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');

/** The least role of each Nest route, keyed like the Express routes; public routes as 'public'. */
function nestRouteRoles(api: TestApi): Map<string, AdminRole | 'viewer' | 'public'> {
  const discovery = new DiscoveryService(api.app.get(ModulesContainer));
  const scanner = new MetadataScanner();
  const reflector = new Reflector();
  const out = new Map<string, AdminRole | 'viewer' | 'public'>();
  for (const wrapper of discovery.getControllers()) {
    const cls = wrapper.metatype as Function | undefined;
    const instance = wrapper.instance as object | undefined;
    if (!cls || !instance) continue;
    const classPaths = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, cls) ?? '/');
    for (const name of scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
      const handler = (instance as Record<string, Function>)[name];
      const methodPath = Reflect.getMetadata(PATH_METADATA, handler);
      const requestMethod: RequestMethod | undefined = Reflect.getMetadata(METHOD_METADATA, handler);
      if (methodPath === undefined || requestMethod === undefined) continue;
      const role = reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, cls]) ? 'public' : reflector.getAllAndOverride<AdminRole>(MIN_ROLE, [handler, cls]) ?? 'viewer';
      const methods = requestMethod === RequestMethod.ALL ? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] : [RequestMethod[requestMethod]];
      for (const cp of classPaths) for (const mp of ([] as string[]).concat(methodPath)) for (const m of methods) out.set(`${m} ${joinPath(cp, mp)}`, role);
    }
  }
  return out;
}

/** A concrete URL for a route pattern: the tenant given, fresh uuids for other ids, a word for wildcards. */
function concrete(path: string, tenantId: string): string {
  return path
    .replace(/:tenantId\b/g, tenantId)
    .replace(/\{?\*[A-Za-z0-9_]*\}?/g, 'x')
    .replace(/:[A-Za-z0-9_]+/g, () => randomUUID())
    .replace(/[{}]/g, '');
}

describe('every api route needs its guard', () => {
  let api: TestApi;
  let tenant: TestTenant;
  let routes: Route[];
  let roles: Map<string, AdminRole | 'viewer' | 'public'>;

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTestTenant();
    routes = expressRoutes(api);
    roles = nestRouteRoles(api);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('finds the routes (the enumeration itself works)', () => {
    const keys = routes.map(key);
    expect(keys).toEqual(expect.arrayContaining(['POST /api/auth/login', 'GET /api/auth/session', 'POST /api/tenants/:tenantId/api-keys', 'GET /health/live']));
    expect(roles.get('POST /api/tenants/:tenantId/api-keys')).toBe('admin');
    expect(roles.get('GET /api/tenants/:tenantId/admins')).toBe('operator');
    expect(keys).toEqual(expect.arrayContaining(['GET /api/docs-json']));
  });

  it('answers 401 without credentials on every route but the listed public ones', async () => {
    const client = anonymous(api);
    const unguarded: string[] = [];
    for (const r of routes) {
      if (isPublic(key(r))) continue;
      const res = await client.request(r.method, concrete(r.path, tenant.id), r.method === 'GET' || r.method === 'HEAD' ? undefined : {});
      if (res.status !== 401) unguarded.push(`${key(r)} → ${res.status}`);
    }
    expect(unguarded).toEqual([]);
  });

  it('declares every listed public route @Public() and every other Nest route not public', () => {
    const undeclared = [...roles].filter(([k, role]) => role === 'public' && !PUBLIC_ROUTES.has(k) && !hasOwnAuthentication(k)).map(([k]) => k);
    // A @Public() route must be named in PUBLIC_ROUTES on purpose.
    expect(undeclared).toEqual([]);
  });

  it('knows the least role of every route Express serves (no route outside Nest but the OpenAPI ones)', () => {
    const unknown = routes.map(key).filter((k) => !roles.has(k) && !isPublic(k));
    expect(unknown).toEqual([]);
  });

  it('gives a viewer 403 on every route that needs an admin or operator, by session and by API key', async () => {
    const viewer = await signIn(api, await createAdmin({ role: 'viewer', tenantId: tenant.id }));
    const viewerKey = await apiKeyClient(api, tenant.id, 'viewer');
    const needMore = routes.filter((r) => {
      const role = roles.get(key(r));
      return role && role !== 'public' && ROLE_RANK[role] > ROLE_RANK.viewer;
    });
    expect(needMore.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const c of [viewer, viewerKey] as ApiClient[]) {
      for (const r of needMore) {
        const res = await c.request(r.method, concrete(r.path, tenant.id), r.method === 'GET' ? undefined : {});
        if (res.status !== 403 || res.body?.code !== 'forbidden') wrong.push(`${c.key ? 'key' : 'session'} ${key(r)} → ${res.status} ${res.body?.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
