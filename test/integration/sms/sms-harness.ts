import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { AppConfig, loadConfig } from '@app/config';
import { LOGGER, REDACTED_KEYS } from '@app/observability';
import { TransitionEffectRegistry } from '@app/continuity';
import { WorkerModule } from '../../../apps/worker/src/worker.module';
import { QueueWorkers } from '../../../apps/worker/src/queue-workers.service';
import { startApi, RunningApi } from '../../../apps/api/src/api.bootstrap';
import { startWebmail, RunningWebmail } from '../../../apps/webmail/src/webmail.bootstrap';
import { startTwilioStandin, TwilioStandin, twilioDriverEnv } from '../../../infra/twilio-standin/twilio-standin';
import { withDb } from '../../support/factories';

export { startTwilioStandin };
export type { TwilioStandin };

/** Worker, api and webmail settings for SMS tests: the real Twilio SDK against the stand-in, fast retries and sweeps. */
export function smsTestConfig(standin: TwilioStandin, overrides: Record<string, string> = {}): AppConfig {
  return loadConfig({
    ...process.env,
    WORKER_HTTP_PORT: '0',
    API_HTTP_PORT: '0',
    WEBMAIL_HTTP_PORT: '0',
    ...twilioDriverEnv(standin),
    SMS_RETRY_BASE_SECONDS: '1',
    SWEEP_INTERVAL_MS: '300',
    RETENTION_INTERVAL_MS: '86400000',
    SHUTDOWN_GRACE_MS: '5000',
    // Notification mail must not wander onto the internet from a test.
    STATIC_ROUTES: '*=127.0.0.1:9',
    ...overrides,
  });
}

export interface SmsWorker {
  app: INestApplication;
  /** Every log line the worker wrote (JSON), to check that no secret reached them. */
  logLines: string[];
  effects: TransitionEffectRegistry;
  stop(): Promise<void>;
}

/** The worker module in-process, with its logger writing (at trace level, redaction as in production) into `logLines`. */
export async function startSmsWorker(cfg: AppConfig): Promise<SmsWorker> {
  const logLines: string[] = [];
  const logger = pino({ level: 'trace', redact: { paths: REDACTED_KEYS, censor: '[redacted]' } }, { write: (s: string) => void logLines.push(s) });
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forConfig(cfg)] })
    .overrideProvider(LOGGER)
    .useValue(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const workers = app.get(QueueWorkers);
  await workers.start();
  return {
    app,
    logLines,
    effects: app.get(TransitionEffectRegistry),
    stop: async () => {
      await workers.stop(5000);
      await app.close();
    },
  };
}

export { startApi, startWebmail };
export type { RunningApi, RunningWebmail };

export async function setMobile(mailboxId: string, mobile: string | null, alternateEmail: string | null = null): Promise<void> {
  await withDb((db) => db.query(`UPDATE mailboxes SET mobile_e164 = $2, alternate_email = $3 WHERE id = $1`, [mailboxId, mobile, alternateEmail]));
}

export interface SmsDbRow { id: string; mailbox_id: string | null; admin_id: string | null; to_e164: string; kind: string; language: string; state: string; attempts: number; provider_sid: string | null; last_error: string | null; params: Record<string, unknown> }

export async function smsRowsOf(tenantId: string): Promise<SmsDbRow[]> {
  return withDb(async (db) => (await db.query(`SELECT * FROM sms_messages WHERE tenant_id = $1 ORDER BY created_at, id`, [tenantId])).rows);
}

export async function credentialRowsOf(mailboxId: string): Promise<Array<Record<string, unknown>>> {
  return withDb(async (db) => (await db.query(`SELECT * FROM credentials WHERE mailbox_id = $1 ORDER BY created_at`, [mailboxId])).rows);
}

/** Code and token from a text as the employee reads it. */
export function secretsOf(body: string): { code: string; token: string } {
  const code = /(?:code|Code): (\d{8})/.exec(body)?.[1];
  const token = /[?&]t=([A-Za-z0-9_-]+)/.exec(body)?.[1];
  if (!code || !token) throw new Error(`no code or link in: ${body}`);
  return { code, token: decodeURIComponent(token) };
}

/** Ends this file's leftovers so later tests' workers do not pick them up. */
export async function settleTenant(tenantId: string): Promise<void> {
  await withDb(async (db) => {
    await db.query(`UPDATE sms_messages SET state = 'failed', last_error = 'test over' WHERE tenant_id = $1 AND state IN ('queued','sending')`, [tenantId]);
    await db.query(`UPDATE deliveries SET state = 'bounced' WHERE tenant_id = $1 AND state IN ('queued','deferred')`, [tenantId]);
  });
}

/** tenant_admins is created by the continuity migration; until it lands, tests make the same shape. */
export async function ensureTenantAdminsTable(): Promise<void> {
  await withDb((db) =>
    db.query(`CREATE TABLE IF NOT EXISTS tenant_admins (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
      name text NOT NULL, mobile_e164 text, email text, language text NOT NULL DEFAULT 'en')`),
  );
}

export async function addTenantAdmin(tenantId: string, a: { name: string; mobile?: string | null; email?: string | null; language?: 'en' | 'de' }): Promise<string> {
  await ensureTenantAdminsTable();
  return withDb(async (db) => (await db.query(`INSERT INTO tenant_admins (tenant_id, name, mobile_e164, email, language) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [tenantId, a.name, a.mobile ?? null, a.email ?? null, a.language ?? 'en'])).rows[0].id);
}
