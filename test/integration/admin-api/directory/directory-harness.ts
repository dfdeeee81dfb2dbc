import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, apiKeyClient, anonymous, createAdmin, signIn, startTestApi, TestApi } from '../../../support/admin-api';
import { createTestTenant, TestTenant } from '../../../support/factories';

/** Two tenants, each with an admin session, a viewer key, and the api in-process. */
export interface DirectoryWorld {
  api: TestApi;
  a: TestTenant;
  b: TestTenant;
  adminA: ApiClient;
  viewerA: ApiClient;
  adminB: ApiClient;
  anon: ApiClient;
}

export async function startDirectoryWorld(): Promise<DirectoryWorld> {
  const api = await startTestApi();
  const a = await createTestTenant({ mailboxes: ['alice', 'bob'] });
  const b = await createTestTenant({ mailboxes: ['zoe'] });
  const adminA = await signIn(api, await createAdmin({ role: 'admin', tenantId: a.id }));
  const viewerA = await apiKeyClient(api, a.id, 'viewer');
  const adminB = await apiKeyClient(api, b.id, 'admin');
  return { api, a, b, adminA, viewerA, adminB, anon: anonymous(api) };
}

export function csvFixture(name: string, domain: string): string {
  return readFileSync(join(__dirname, '../../../fixtures/csv', name), 'utf8').split('{{domain}}').join(domain);
}
