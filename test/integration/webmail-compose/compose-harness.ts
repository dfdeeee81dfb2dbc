import { CanActivate, DynamicModule, ExecutionContext, INestApplication, Injectable, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import { APP_CONFIG, AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { BlobStoreModule } from '@app/blob-store';
import { QueuesModule } from '@app/queues';
import { ObservabilityModule } from '@app/observability';
import type { Employee, EmployeeRequest } from '../../../apps/webmail/src/session/employee';
import { WebmailHttpErrorFilter } from '../../../apps/webmail/src/http-error.filter';
import { WebmailComposeModule } from '../../../apps/webmail/src/compose/webmail-compose.module';
import { withDb } from '../../support/factories';

/**
 * Stands in for the webmail's session guard in these tests: the employee
 * comes from a test header. What is under test is what compose does with
 * the employee it is given (scoping, send-as, limits, sending), not sign-in.
 */
@Injectable()
class TestEmployeeGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<EmployeeRequest>();
    const raw = req.headers['x-test-employee'];
    if (typeof raw !== 'string') return false;
    req.employee = JSON.parse(raw) as Employee;
    return true;
  }
}

@Module({})
class TestConfigModule {
  static forConfig(cfg: AppConfig): DynamicModule {
    return { module: TestConfigModule, global: true, providers: [{ provide: APP_CONFIG, useValue: cfg }], exports: [APP_CONFIG] };
  }
}

export interface ComposeApp {
  app: INestApplication;
  url: string;
  stop(): Promise<void>;
}

/** The webmail's compose module over HTTP, with the webmail's error filter and the stand-in session. */
export async function startComposeApp(cfg: AppConfig): Promise<ComposeApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [TestConfigModule.forConfig(cfg), DatabaseModule.forApp('webmail'), BlobStoreModule, QueuesModule, ObservabilityModule.forApp('webmail'), WebmailComposeModule],
    providers: [
      { provide: APP_FILTER, useClass: WebmailHttpErrorFilter },
      { provide: APP_GUARD, useClass: TestEmployeeGuard },
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  return { app, url: `http://127.0.0.1:${port}`, stop: () => app.close() };
}

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

/** An API client acting as one employee. */
export function clientFor(base: string, e: Employee) {
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'x-test-employee': JSON.stringify(e), 'x-csrf-token': 'test', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as T };
  };
  return {
    get: <T = any>(path: string) => call<T>('GET', path),
    post: <T = any>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
    put: <T = any>(path: string, body: unknown) => call<T>('PUT', path, body),
    del: <T = any>(path: string) => call<T>('DELETE', path),
    upload: async <T = any>(path: string, files: Array<{ name: string; type: string; content: Buffer }>): Promise<ApiAnswer<T>> => {
      const form = new FormData();
      for (const f of files) form.append('file', new Blob([new Uint8Array(f.content)], { type: f.type }), f.name);
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'x-test-employee': JSON.stringify(e), 'x-csrf-token': 'test' }, body: form });
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}

export function employeeOf(tenantId: string, mailbox: { id: string; address: string }, displayName = mailbox.address.split('@')[0]): Employee {
  return { sessionId: `test-${mailbox.id}`, tenantId, mailboxId: mailbox.id, address: mailbox.address, displayName };
}

export async function rows<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withDb(async (db) => (await db.query(sql, params)).rows as T[]);
}

/** A shared mailbox of the tenant with the given members (local part → may send as it). */
export async function addSharedMailbox(tenantId: string, address: string, members: Array<{ id: string; canSendAs: boolean }>): Promise<{ id: string; address: string }> {
  return withDb(async (db) => {
    const m = await db.query(`INSERT INTO mailboxes (tenant_id, address, display_name, kind) VALUES ($1, $2, 'Support', 'shared') RETURNING id`, [tenantId, address]);
    for (const mb of members) {
      await db.query(`INSERT INTO shared_mailbox_members (tenant_id, shared_mailbox_id, member_mailbox_id, can_send_as) VALUES ($1, $2, $3, $4)`, [tenantId, m.rows[0].id, mb.id, mb.canSendAs]);
    }
    return { id: m.rows[0].id, address };
  });
}

/** The mirror entry of a message in a mailbox's folder. */
export async function entryOf(messageId: string, mailboxId: string, folder = 'inbox'): Promise<string> {
  const [r] = await rows<{ id: string }>(`SELECT id FROM mirror_entries WHERE message_id = $1 AND mailbox_id = $2 AND folder = $3`, [messageId, mailboxId, folder]);
  if (!r) throw new Error(`no ${folder} entry of ${messageId} in ${mailboxId}`);
  return r.id;
}
