import { connect, Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../../libs/config/src';
import { startMx, RunningMx } from '../../../apps/mx/src/mx.bootstrap';
import { withDb } from '../../support/factories';

/** An MX started in this process on free ports, with test overrides of its configuration. */
export async function startTestMx(env: Record<string, string> = {}): Promise<RunningMx> {
  const cfg = loadConfig({
    ...process.env,
    MX_SMTP_HOST: '127.0.0.1',
    MX_SMTP_PORT: '0',
    MX_HTTP_PORT: '0',
    MX_HOSTNAME: 'mx.test.example',
    DATABASE_POOL_SIZE: '4',
    SHUTDOWN_GRACE_MS: '2000',
    ...env,
  });
  return startMx(cfg);
}

export function freshDataDir(): string {
  return mkdtempSync(join(process.env.DATA_DIR ?? tmpdir(), 'mx-'));
}

/**
 * A raw SMTP client on a socket, for hostile tests: sends exactly the bytes
 * given and reads replies as the server writes them.
 */
export class RawSmtp {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(public socket: Socket | TLSSocket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    this.attach(socket);
    socket.on('error', () => undefined);
  }

  private attach(socket: Socket | TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      this.wake();
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async open(port: number): Promise<RawSmtp> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawSmtp(socket);
  }

  /** Next complete reply (all lines of a multi-line reply), or '' if the server closed. */
  async reply(timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\r?\n/.exec(this.buf);
      if (m) {
        this.buf = this.buf.slice(m[0].length);
        return m[0].trimEnd();
      }
      if (this.closed) return '';
      if (Date.now() > deadline) throw new Error(`no SMTP reply within ${timeoutMs} ms (buffer: ${JSON.stringify(this.buf)})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<string> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** Upgrades this session with STARTTLS (certificate not verified: the generated one is self-signed). */
  async starttls(servername = 'mx.test.example'): Promise<TLSSocket> {
    const r = await this.cmd('STARTTLS');
    if (!r.startsWith('220')) throw new Error(`STARTTLS refused: ${r}`);
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, servername, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
    secure.on('error', () => undefined);
    return secure;
  }

  async quit(): Promise<void> {
    if (!this.closed) {
      // QUIT, then our half of the connection closed: the server answers 221 and closes its half,
      // and the socket's close is the condition waited for.
      this.socket.end('QUIT\r\n');
      await this.closedPromise;
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Runs an envelope up to DATA's 354; returns each reply. */
export async function openTransaction(c: RawSmtp, from: string, rcpts: string[]): Promise<string[]> {
  const replies = [await c.cmd('EHLO client.test.example'), await c.cmd(`MAIL FROM:<${from}>`)];
  for (const r of rcpts) replies.push(await c.cmd(`RCPT TO:<${r}>`));
  return replies;
}

export function transport(port: number) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, name: 'client.test.example' });
}

/** Sends raw bytes with nodemailer; resolves with the final reply text or the error's response. */
export async function sendRaw(port: number, from: string, to: string[], raw: string | Buffer): Promise<{ ok: boolean; response: string }> {
  const t = transport(port);
  try {
    const info = await t.sendMail({ envelope: { from, to }, raw });
    return { ok: true, response: info.response };
  } catch (e) {
    const err = e as { response?: string; message: string };
    return { ok: false, response: err.response ?? err.message };
  } finally {
    t.close();
  }
}

export function queueIdsOf(reply: string): string[] {
  const m = /queued as ([A-Z0-9 ]+)$/.exec(reply.trim());
  return m ? m[1].trim().split(/\s+/) : [];
}

export interface StoredMessage {
  id: string;
  tenant_id: string;
  queue_id: string;
  blob_key: string;
  size_bytes: string;
  mail_from: string;
  rcpt_to: string[];
  client_address: string;
  client_helo: string;
  body_8bitmime: boolean;
  smtputf8: boolean;
}

export async function messageByQueueId(queueId: string): Promise<StoredMessage | null> {
  return withDb(async (db) => (await db.query(`SELECT * FROM messages WHERE queue_id = $1`, [queueId])).rows[0] ?? null);
}

export async function countRows(sql: string, params: unknown[]): Promise<number> {
  return withDb(async (db) => Number((await db.query(`SELECT count(*)::int AS n FROM (${sql}) x`, params)).rows[0].n));
}
