import { createTestTenant, withDb } from '../../support/factories';
import { anonymous, ApiResponse, createAdmin, signIn, startTestApi, TestApi } from '../../support/admin-api';

describe('admin sign-in limits', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ ADMIN_LOGIN_ATTEMPTS_PER_IP: '1000000', ADMIN_MUTATIONS_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('answers 429 with Retry-After after five failures on one account, even with the right password then, and the same for an unknown address', async () => {
    const tenant = await createTestTenant();
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    for (const email of [admin.email, `ghost-${admin.email}`]) {
      for (let i = 0; i < 5; i++) expect((await anonymous(api).post('/api/auth/login', { email, password: `wrong password ${i}` })).status).toBe(401);
      const blocked = await anonymous(api).post('/api/auth/login', { email, password: email === admin.email ? admin.password : 'whatever it is' });
      expect(blocked.status).toBe(429);
      expect(blocked.body.code).toBe('rate_limited');
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it('locks an account after ten failures in a row (kept in the database), and an operator can unlock it', async () => {
    const tenant = await createTestTenant();
    const admin = await createAdmin({ role: 'viewer', tenantId: tenant.id });
    await withDb((db) => db.query(`UPDATE admin_users SET failed_attempts = 9 WHERE id = $1`, [admin.id]));
    expect((await anonymous(api).post('/api/auth/login', { email: admin.email, password: 'wrong password' })).status).toBe(401);
    const row = await withDb(async (db) => (await db.query(`SELECT failed_attempts, locked_until FROM admin_users WHERE id = $1`, [admin.id])).rows[0]);
    expect(row.failed_attempts).toBe(10);
    expect(row.locked_until.getTime()).toBeGreaterThan(Date.now());
    const locked = await anonymous(api).post('/api/auth/login', { email: admin.email, password: admin.password });
    expect(locked.status).toBe(429);

    const operator = await signIn(api, await createAdmin({ role: 'operator' }));
    expect((await operator.patch(`/api/tenants/${tenant.id}/admins/${admin.id}`, { unlock: true })).status).toBe(200);
    expect((await anonymous(api).post('/api/auth/login', { email: admin.email, password: admin.password })).status).toBe(200);
  });

  it('limits sign-in attempts per client address', async () => {
    const limited = await startTestApi({ ADMIN_LOGIN_ATTEMPTS_PER_IP: '2', REDIS_PREFIX: `${process.env.REDIS_PREFIX}-ip` });
    try {
      for (let i = 0; i < 2; i++) expect((await anonymous(limited).post('/api/auth/login', { email: `n${i}@x.example`, password: 'wrong password' })).status).toBe(401);
      const r = await anonymous(limited).post('/api/auth/login', { email: 'n9@x.example', password: 'wrong password' });
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await limited.stop();
    }
  });

  it('limits wrong TOTP codes per account', async () => {
    const tenant = await createTestTenant();
    const admin = await createAdmin({ role: 'admin', tenantId: tenant.id });
    const c = anonymous(api);
    await c.post('/api/auth/login', { email: admin.email, password: admin.password });
    const codes = ['000000', '111111', '222222', '333333', '444444', '555555'];
    const statuses: number[] = [];
    for (const code of codes) statuses.push((await c.post('/api/auth/totp', { code })).status);
    // One of the six might by chance be the current code; the limit still answers the sixth attempt.
    expect(statuses[5]).toBe(429);
  });

  it('limits changes per principal and answers 429 with Retry-After', async () => {
    const tenant = await createTestTenant();
    const admin = await signIn(api, await createAdmin({ role: 'admin', tenantId: tenant.id }));
    // Three changes per minute in this api; even if the minute rolls over once, the seventh of eight is refused.
    let refused: ApiResponse | null = null;
    let accepted = 0;
    for (let i = 0; i < 8 && !refused; i++) {
      const r = await admin.post(`/api/tenants/${tenant.id}/api-keys`, { name: `k${i}`, role: 'viewer' });
      if (r.status === 201) accepted++;
      else refused = r;
    }
    expect(accepted).toBeGreaterThanOrEqual(3);
    expect(refused?.status).toBe(429);
    expect(refused?.body.code).toBe('rate_limited');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Reading is not limited.
    expect((await admin.get(`/api/tenants/${tenant.id}/api-keys`)).status).toBe(200);
  });
});
