import nodemailer from 'nodemailer';
import { connect, Socket } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../../libs/database/src';
import { FsBlobStore } from '../../../libs/blob-store/src';
import { NodeDnsTxtLookup, TenantsService } from '../../../libs/tenants/src';
import { AddConnectorInput, ConnectorsService } from '../../../libs/outbound/src';
import { withDb } from '../../support/factories';

/** Runs `fn` with the same connector service the CLI uses. */
export async function withConnectors<T>(fn: (svc: ConnectorsService) => Promise<T>): Promise<T> {
  const ds: DataSource = await createDataSource({ DATABASE_URL: process.env.DATABASE_URL as string, DATABASE_POOL_SIZE: 2 }).initialize();
  try {
    return await fn(new ConnectorsService(ds, new TenantsService(ds, new NodeDnsTxtLookup())));
  } finally {
    await ds.destroy();
  }
}

/** Registers a connector; returns its generated password. */
export async function addConnector(tenantSlug: string, input: AddConnectorInput): Promise<{ username: string | null; password: string | null }> {
  const { connector, password } = await withConnectors((svc) => svc.add(tenantSlug, input));
  return { username: connector.authUsername, password };
}

export interface SendOptions {
  port: number;
  from: string;
  to: string[];
  raw: string | Buffer;
  localAddress?: string;
  auth?: { user: string; pass: string };
  /** Default: STARTTLS when offered (the self-signed test certificate accepted). */
  tls?: 'opportunistic' | 'required' | 'none';
}

/** An Exchange stand-in relaying through the smarthost with nodemailer; resolves with the final reply or the refusal. */
export async function relay(o: SendOptions): Promise<{ ok: boolean; response: string; refusedRecipients?: Record<string, string> }> {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port: o.port,
    secure: false,
    name: 'exchange.customer.example',
    localAddress: o.localAddress,
    ignoreTLS: o.tls === 'none',
    requireTLS: o.tls === 'required',
    tls: { rejectUnauthorized: false },
    auth: o.auth,
  } as Parameters<typeof nodemailer.createTransport>[0]);
  try {
    const info = await t.sendMail({ envelope: { from: o.from, to: o.to }, raw: o.raw });
    // nodemailer sends to the recipients that were accepted and lists the refused ones
    const refused = (info as unknown as { rejectedErrors?: Array<{ recipient: string; response: string }> }).rejectedErrors ?? [];
    return refused.length ? { ok: true, response: info.response, refusedRecipients: Object.fromEntries(refused.map((e) => [e.recipient, e.response])) } : { ok: true, response: info.response };
  } catch (e) {
    const err = e as { response?: string; message: string };
    return { ok: false, response: err.response ?? err.message };
  } finally {
    t.close();
  }
}

export function message(from: string, to: string[], subject: string, body = 'Hello.\r\n'): string {
  return `From: ${from}\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@customer.example>\r\n\r\n${body}`;
}

export async function readBlob(key: string): Promise<Buffer> {
  const store = new FsBlobStore(join(process.env.DATA_DIR as string, 'blobs'));
  const chunks: Buffer[] = [];
  for await (const c of store.openRead(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function rows<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return withDb(async (db) => (await db.query(sql, params)).rows as T[]);
}

/** Messages of any tenant that name this envelope recipient: refused mail must leave none. */
export async function storedFor(recipient: string): Promise<number> {
  return (await rows<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE $1 = ANY (rcpt_to)`, [recipient]))[0].n;
}

/** A plain socket from a chosen source address, for replies nodemailer would hide. */
export async function rawSession(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; cmd: (line: string) => Promise<string>; reply: () => Promise<string>; close: () => void }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  let buf = '';
  let wake: (() => void) | null = null;
  socket.on('data', (d) => {
    buf += d.toString('utf8');
    wake?.();
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const reply = async () => {
    const deadline = Date.now() + 10000;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(buf);
      if (m) {
        buf = buf.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (Date.now() > deadline) throw new Error(`no reply (buffer ${JSON.stringify(buf)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  };
  return { socket, reply, cmd: async (line) => (socket.write(line + '\r\n'), reply()), close: () => socket.destroy() };
}

/** An Exchange envelope journal report wrapping `original`. */
export function journalReport(envelopeLines: string[], original: string, opts: { closing?: boolean } = {}): string {
  return [
    'From: Microsoft Exchange <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@customer.example>',
    'To: journal',
    'Subject: Journal report',
    'X-MS-Journal-Report: ',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="_jr_boundary_"',
    '',
    '--_jr_boundary_',
    'Content-Type: text/plain; charset="us-ascii"',
    'Content-Transfer-Encoding: 7bit',
    '',
    ...envelopeLines,
    '',
    '--_jr_boundary_',
    'Content-Type: message/rfc822',
    '',
    original,
    opts.closing === false ? '' : '--_jr_boundary_--',
    '',
  ].join('\r\n');
}
