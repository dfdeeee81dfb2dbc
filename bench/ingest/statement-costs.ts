/**
 * What each per-message statement of the mail path costs Postgres, without
 * SMTP: the backend's CPU (from /proc, so Postgres must run on this host),
 * the client's CPU and the wall time per statement, one connection, one
 * statement at a time. Runs the product's own code (recipient lookup,
 * acceptance, claim, outcome) against a scratch database it creates, migrates
 * and drops; prepared and unprepared forms side by side show what planning
 * costs. Usage, after `npm run build`:
 *
 *   node dist/bench/ingest/statement-costs.js [--ops N]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../libs/database/src/data-source';
import { preparedQuery } from '../../libs/database/src/prepared-statement';
import { DeliveryStore } from '../../libs/delivery/src/delivery.store';
import { RecipientDirectory } from '../../libs/mailboxes/src/recipient-directory.service';
import { AcceptMessageInput, MessageAcceptance } from '../../libs/messages/src/message-acceptance.service';
import { searchVectorSql } from '../../libs/mirror/src/search-query';
import type { Queues } from '../../libs/queues/src';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = `mc_statements_${process.pid}`;
const DB_URL = ADMIN_URL.replace(/\/[^/]*$/, `/${DB}`);

/** utime + stime of a process in ms (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

async function admin(sql: string): Promise<void> {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const opsArg = process.argv.indexOf('--ops');
  const ops = opsArg > 0 ? Number(process.argv[opsArg + 1]) : 400;
  await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${DB}`);
  let ds: DataSource | null = null;
  try {
    execFileSync(process.execPath, [join(__dirname, '../../libs/database/src/migrate.js')], { env: { ...process.env, DATABASE_URL: DB_URL }, stdio: 'ignore' });
    ds = await createDataSource({ DATABASE_URL: DB_URL, DATABASE_POOL_SIZE: 1 }, 'statement-costs').initialize();
    const db = ds;
    const tenantId: string = (await db.query(`INSERT INTO tenants (name, slug) VALUES ('Bench', 'bench') RETURNING id`))[0].id;
    await db.query(`INSERT INTO tenant_domains (tenant_id, name, verification_token, verified_at, verified_by) VALUES ($1, 'bench.example', 'bench', now(), 'operator')`, [tenantId]);
    const mailboxId: string = (await db.query(`INSERT INTO mailboxes (tenant_id, address, display_name) VALUES ($1, 'rcpt@bench.example', 'Bench') RETURNING id`, [tenantId]))[0].id;
    const backend: number = (await db.query('SELECT pg_backend_pid() AS pid'))[0].pid;

    const directory = new RecipientDirectory(db);
    const acceptance = new MessageAcceptance(db, null as unknown as Queues);
    const store = new DeliveryStore(db);
    // Varied words, as mail has: the search vector's cost grows with distinct tokens.
    const body = readFileSync(__filename, 'utf8').repeat(4).slice(0, 9000);

    const sample = (i: number): AcceptMessageInput => ({
      tenantId, queueId: `SC${process.pid}X${i}`, blobKey: `k/${i}`, sizeBytes: 10240, mailFrom: 'a@source.example', recipients: ['rcpt@bench.example'], mirrorMailboxIds: [mailboxId],
      clientAddress: '127.0.0.1', clientHelo: 'source.example', body8bitmime: false, smtputf8: false, receivedAt: new Date(), deliveryLifetimeSeconds: 86400,
    });
    const rows: string[] = [];
    const measure = async (name: string, op: (i: number) => Promise<unknown>) => {
      const pg0 = cpuMsOf(backend);
      const node0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) await op(i);
      const node = process.cpuUsage(node0);
      const f = (x: number) => (x / ops).toFixed(3);
      rows.push(`| ${name} | ${f(cpuMsOf(backend) - pg0)} | ${f((node.user + node.system) / 1000)} | ${f(performance.now() - t0)} |`);
    };

    await measure('SELECT 1 (round trip, for scale)', () => db.query('SELECT 1'));
    await measure('RCPT lookup: domain, then address (two unprepared queries)', async () => {
      const t = await directory.verifiedTenantForDomain('bench.example');
      await directory.findRecipient(t!.tenantId, 'rcpt@bench.example');
    });
    await measure('RCPT lookup: one joined query, prepared (lookupRecipient)', () => directory.lookupRecipient('bench.example', 'rcpt@bench.example'));
    const ids: string[] = [];
    await measure('acceptance: one statement, prepared (accept, one message)', async (i) => {
      const [a] = await acceptance.accept([sample(i)]);
      ids.push(a.messageId);
    });
    // The same rows as the acceptance of 2026-11-25 wrote them: BEGIN, mode, three INSERTs, COMMIT.
    const before: string[] = [];
    await measure('for comparison: acceptance as a transaction of six round trips (before)', (i) =>
      db.transaction(async (em) => {
        await em.query(`SELECT id, mode FROM tenants WHERE id = ANY($1::uuid[])`, [[tenantId]]);
        const m = await em.query(
          `INSERT INTO messages (tenant_id, queue_id, direction, blob_key, size_bytes, mail_from, rcpt_to, client_address, client_helo, body_8bitmime, smtputf8, received_at)
           VALUES ($1, $2, 'inbound', $3, 10240, 'a@source.example', $4, '127.0.0.1', 'source.example', false, false, now()) RETURNING id`,
          [tenantId, `SCB${process.pid}X${i}`, `k/b${i}`, ['rcpt@bench.example']],
        );
        await em.query(
          `INSERT INTO deliveries (tenant_id, message_id, recipient, route_kind, state, next_attempt_at, expires_at)
           SELECT $1, $2, r.rcpt, 'upstream', 'queued', now(), now() + interval '1 day' FROM unnest($3::text[]) AS r(rcpt)`,
          [tenantId, m[0].id, ['rcpt@bench.example']],
        );
        await em.query(`INSERT INTO mirror_entries (tenant_id, mailbox_id, message_id, folder, received_at) SELECT $1, mb, $2, 'inbox', now() FROM unnest($3::uuid[]) AS mb`, [tenantId, m[0].id, [mailboxId]]);
        before.push(m[0].id);
      }),
    );
    // The statements a delivery attempt ran before (claim, load, verdict: read, context, write, read again; mode; outcome in a transaction).
    await measure('for comparison: a delivery attempt\'s eight statements (before)', async (i) => {
      const { claimed } = await store.claimOrHold(before[i], 'bench', 60);
      await store.loadMessage(tenantId, before[i]);
      await db.query(`SELECT auth_results AS header, auth_summary AS summary FROM messages WHERE tenant_id = $1 AND id = $2`, [tenantId, before[i]]);
      await db.query(
        `SELECT m.client_address AS "clientAddress", m.client_helo AS helo, t.reject_on_dmarc_fail AS reject FROM messages m JOIN tenants t ON t.id = m.tenant_id WHERE m.tenant_id = $1 AND m.id = $2`,
        [tenantId, before[i]],
      );
      await db.query(`UPDATE messages SET auth_results = $3, auth_summary = $4 WHERE tenant_id = $1 AND id = $2 AND auth_results IS NULL`, [tenantId, before[i], 'Authentication-Results: mx; spf=pass\r\n', '{"spf":"pass"}']);
      await db.query(`SELECT auth_results AS header, auth_summary AS summary FROM messages WHERE tenant_id = $1 AND id = $2`, [tenantId, before[i]]);
      await store.tenantMode(tenantId);
      await db.transaction((em) =>
        em.query(
          `UPDATE deliveries d SET state = 'delivered', attempts = d.attempts + 1, last_reply = '250 2.0.0 Ok', last_attempt_at = now(), delivered_at = now(), lease_owner = NULL, lease_expires_at = NULL
            WHERE d.id = ANY($1::uuid[]) AND d.lease_owner = 'bench'`,
          [claimed.map((c) => c.id)],
        ),
      );
    });
    const claims: Awaited<ReturnType<DeliveryStore['claimAndLoad']>>[] = [];
    await measure('claim joined to the message, prepared (claimAndLoad)', async (i) => claims.push(await store.claimAndLoad(ids[i], 'bench', 60)));
    const verdict = `UPDATE messages SET auth_results = $3, auth_summary = $4 WHERE tenant_id = $1 AND id = $2 AND auth_results IS NULL RETURNING auth_results AS header, auth_summary AS summary`;
    await measure('authentication verdict write, prepared', (i) =>
      preparedQuery(db, 'bench-verdict', verdict, [tenantId, ids[i], 'Authentication-Results: mx; spf=pass\r\n', JSON.stringify({ spf: 'pass', dkim: 'none', dmarc: 'none', arc: 'none', action: 'none' })]),
    );
    await measure('outcome, one statement, prepared (recordAttempt without DSN)', (i) =>
      store.recordAttempt('bench', claims[i].claimed.map((r) => ({ id: r.id, state: 'delivered' as const, attempted: true, lastReply: '250 2.0.0 Ok', lastRoute: '127.0.0.1:25', nextAttemptAt: null, dsnQueueId: null })), null),
    );
    const fresh: string[] = [];
    for (let i = 0; i < ops; i++) fresh.push((await acceptance.accept([{ ...sample(i), queueId: `SCF${process.pid}X${i}` }]))[0].messageId);
    await measure('a delivery attempt\'s three statements now (claim, verdict, outcome)', async (i) => {
      const { claimed } = await store.claimAndLoad(fresh[i], 'bench2', 60);
      await preparedQuery(db, 'bench-verdict', verdict, [tenantId, fresh[i], 'Authentication-Results: mx; spf=pass\r\n', '{"spf":"pass"}']);
      await store.recordAttempt('bench2', claimed.map((r) => ({ id: r.id, state: 'delivered' as const, attempted: true, lastReply: '250 2.0.0 Ok', lastRoute: '127.0.0.1:25', nextAttemptAt: null, dsnQueueId: null })), null);
    });
    const vector = searchVectorSql({ subject: '$6', names: '$14', addresses: '$15', filenames: '$16', body: '$13' });
    const indexSql = `UPDATE messages SET index_state = 'indexed', index_error = $17, indexed_at = now(), from_addr = $3::jsonb, to_addr = $4::jsonb, cc_addr = $5::jsonb,
        subject = $6, header_date = $7, message_id_header = $8, in_reply_to = $9, references_ids = $10::text[], snippet = $11, attachments = $12::jsonb, body_text = $13,
        search_vector = ${vector} WHERE id = $1 AND tenant_id = $2`;
    await measure('index write of a 9 KB body, prepared (as MessageIndexer)', (i) =>
      preparedQuery(db, 'bench-index', indexSql, [
        ids[i], tenantId, JSON.stringify([{ address: 'a@source.example', name: 'A' }]), JSON.stringify([{ address: 'rcpt@bench.example' }]), '[]', `Subject ${i}`, new Date(),
        `<m${i}@source.example>`, null, null, body.slice(0, 200), '[]', body, 'A', 'a@source.example rcpt@bench.example', '', null,
      ]),
    );
    await measure('of it: the search vector alone (three configurations)', () =>
      preparedQuery(db, 'bench-vector', `SELECT length((${searchVectorSql({ subject: '$1', names: '$2', addresses: '$3', filenames: '$4', body: '$5' })})::text) AS n`, ['Subject', 'A', 'a@source.example', '', body]),
    );

    process.stdout.write(
      [
        `Postgres CPU per statement (backend ${backend}, ${ops} operations each, one connection):`,
        '',
        '| statement | Postgres CPU ms | client CPU ms | wall ms |',
        '| --- | ---: | ---: | ---: |',
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    await ds?.destroy().catch(() => undefined);
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
