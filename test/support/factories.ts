import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { upstreamHostProblem } from '../../libs/tenants/src/upstream-host-policy';

/**
 * Builds directory data straight in Postgres for tests, independent of the
 * services under test. Every tenant gets unique domains so tests in one run
 * never collide.
 */
/**
 * privateAddressAllowed defaults to what an operator setting the host gets: approved for a
 * loopback or other non-public host (the stand-ins listen on 127.0.0.1), not for a public name.
 */
export interface TestUpstream { host: string; port: number; priority?: number; tlsPolicy?: 'verify' | 'pinned' | 'none'; pinnedCertPem?: string; privateAddressAllowed?: boolean }
export interface TestTenantSpec {
  domains?: string[];
  verified?: boolean;
  mailboxes?: string[]; // local parts, created in the first domain
  upstreams?: TestUpstream[];
  unknownRecipientPolicy?: 'reject' | 'passthrough';
  deliveryLifetimeSeconds?: number;
  rollingWindowDays?: number;
}
export interface TestTenant {
  id: string;
  slug: string;
  domains: string[];
  domain: string;
  mailboxes: Record<string, { id: string; address: string }>;
  groupId: string;
}

export function uniqueLabel(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export async function withDb<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

export async function createTestTenant(spec: TestTenantSpec = {}): Promise<TestTenant> {
  const slug = uniqueLabel('tenant');
  const domains = spec.domains ?? [`${slug}.example`];
  return withDb(async (db) => {
    const t = await db.query(
      `INSERT INTO tenants (name, slug, unknown_recipient_policy, delivery_lifetime_seconds, rolling_window_days) VALUES ($1, $1, $2, $3, $4) RETURNING id`,
      [slug, spec.unknownRecipientPolicy ?? 'reject', spec.deliveryLifetimeSeconds ?? 432000, spec.rollingWindowDays ?? 30],
    );
    const id: string = t.rows[0].id;
    for (const d of domains) {
      await db.query(
        `INSERT INTO tenant_domains (tenant_id, name, verification_token, verified_at, verified_by) VALUES ($1, $2, $3, $4, $5)`,
        [id, d, randomBytes(12).toString('hex'), spec.verified === false ? null : new Date(), spec.verified === false ? null : 'operator'],
      );
    }
    const g = await db.query(`INSERT INTO upstream_groups (tenant_id, name) VALUES ($1, 'default') RETURNING id`, [id]);
    const groupId: string = g.rows[0].id;
    for (const u of spec.upstreams ?? []) {
      await db.query(
        `INSERT INTO upstreams (tenant_id, group_id, host, port, priority, tls_policy, pinned_cert_pem, private_address_allowed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, groupId, u.host, u.port, u.priority ?? 10, u.tlsPolicy ?? 'none', u.pinnedCertPem ?? null, u.privateAddressAllowed ?? upstreamHostProblem(u.host) !== null],
      );
    }
    const mailboxes: TestTenant['mailboxes'] = {};
    for (const local of spec.mailboxes ?? []) {
      const address = `${local}@${domains[0]}`.toLowerCase();
      const m = await db.query(`INSERT INTO mailboxes (tenant_id, address, display_name) VALUES ($1, $2, $3) RETURNING id`, [id, address, local]);
      mailboxes[local] = { id: m.rows[0].id, address };
    }
    return { id, slug, domains, domain: domains[0], mailboxes, groupId };
  });
}

export async function addAlias(tenant: TestTenant, alias: string, local: string): Promise<void> {
  await withDb((db) => db.query(`INSERT INTO aliases (tenant_id, address, mailbox_id) VALUES ($1, $2, $3)`, [tenant.id, alias.toLowerCase(), tenant.mailboxes[local].id]));
}

export async function addGroup(tenant: TestTenant, address: string, memberLocals: string[]): Promise<string> {
  return withDb(async (db) => {
    const g = await db.query(`INSERT INTO distribution_groups (tenant_id, address) VALUES ($1, $2) RETURNING id`, [tenant.id, address.toLowerCase()]);
    for (const l of memberLocals) {
      await db.query(`INSERT INTO group_members (group_id, mailbox_id, tenant_id) VALUES ($1, $2, $3)`, [g.rows[0].id, tenant.mailboxes[l].id, tenant.id]);
    }
    return g.rows[0].id as string;
  });
}

/** Polls until `fn` returns a truthy value; tests wait for conditions, never fixed sleeps. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false> | T | null | undefined | false, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

export interface TestMessageSpec {
  raw: string | Buffer;
  mailFrom?: string;
  recipients: string[];
  /** Mailbox ids that get an inbox mirror entry. */
  mirrorMailboxIds?: string[];
  direction?: 'inbound' | 'outbound' | 'dsn';
  routeKind?: 'upstream' | 'internet';
  receivedAt?: Date;
}

/**
 * Stores a message as the MX would (blob, message row, one delivery row per
 * recipient, mirror entries) without going through SMTP; for tests of the
 * worker, the indexer and retention.
 */
export async function insertTestMessage(tenant: { id: string }, spec: TestMessageSpec): Promise<{ messageId: string; queueId: string; blobKey: string }> {
  const { FsBlobStore, blobKey } = await import('../../libs/blob-store/src');
  const { join } = await import('node:path');
  const store = new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs'));
  const queueId = randomBytes(8).toString('hex').toUpperCase();
  const key = blobKey(tenant.id, queueId);
  const w = store.createWriter(key);
  w.write(typeof spec.raw === 'string' ? Buffer.from(spec.raw) : spec.raw);
  const { size } = await w.commit();
  const receivedAt = spec.receivedAt ?? new Date();
  const messageId = await withDb(async (db) => {
    await db.query('BEGIN');
    const m = await db.query(
      `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, received_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
      [tenant.id, queueId, spec.direction ?? 'inbound', key, size, spec.mailFrom ?? 'sender@external.example', spec.recipients, receivedAt],
    );
    const id: string = m.rows[0].id;
    for (const r of spec.recipients) {
      await db.query(
        `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, expires_at) VALUES ($1,$2,$3,$4, now() + interval '5 days')`,
        [tenant.id, id, r, spec.routeKind ?? 'upstream'],
      );
    }
    for (const mb of spec.mirrorMailboxIds ?? []) {
      await db.query(`INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at) VALUES ($1,$2,$3,'inbox',$4)`, [tenant.id, mb, id, receivedAt]);
    }
    await db.query('COMMIT');
    return id;
  });
  return { messageId, queueId, blobKey: key };
}
