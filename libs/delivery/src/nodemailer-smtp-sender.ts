import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseReply } from '@app/smtp';
import { connectToAddresses, DnsHostAddresses, HostAddresses, planUpstreamConnection } from '@app/tenants/upstream-address';
import type { AttemptResult } from './delivery-outcome';
import { connectionOptionsFor, hopKey, hopLabel, HopConnectionSettings, NextHop } from './next-hop';
import type { OutgoingEnvelope, SendRequest, SendResult, SmtpSender } from './smtp-sender.port';

interface NodemailerError extends Error { code?: string; response?: string; responseCode?: number; command?: string; recipient?: string; rejectedErrors?: NodemailerError[] }
interface ConnectionInternals {
  _sendCommand(str: string, logStr?: string): void;
  _supportedExtensions: string[];
  _envelope?: { accepted?: string[]; rejected?: string[]; rejectedErrors?: NodemailerError[] };
}

interface Pooled {
  conn: SMTPConnection;
  key: string;
  label: string;
  messages: number;
  alive: boolean;
  idleTimer: NodeJS.Timeout | null;
  /** Read by the MAIL FROM rewrite for the transaction in progress. */
  wantSmtpUtf8: boolean;
}

export interface SmtpPoolOptions {
  maxIdlePerHop: number;
  idleMs: number;
  maxMessagesPerConnection: number;
}

/** An upstream the address check refused: reported as its own routing verdict, not as an unreachable server. */
class UpstreamRefused extends Error {
  constructor(readonly result: AttemptResult & { kind: 'route' }) {
    super(result.message);
  }
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS', 'EPROTOCOL', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

function nonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

function replyResult(response: string | undefined, fallbackCode: string, message: string): AttemptResult {
  const parsed = parseReply(response);
  if (parsed) return { kind: 'reply', ...parsed };
  return { kind: 'connection', errorCode: fallbackCode, message };
}

/**
 * SMTP to next hops through nodemailer's SMTPConnection, with connections
 * reused per hop (same host, port and TLS policy) across messages. A
 * connection is reused only after a transaction that ended cleanly; after any
 * error it is closed, because its state can no longer be trusted.
 */
export class NodemailerSmtpSender implements SmtpSender {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly all = new Set<Pooled>();
  private closed = false;

  constructor(
    private readonly settings: HopConnectionSettings,
    private readonly pool: SmtpPoolOptions = { maxIdlePerHop: 8, idleMs: 15_000, maxMessagesPerConnection: 100 },
    /** Resolves upstream names once, for the address check before connecting. */
    private readonly addresses: HostAddresses = new DnsHostAddresses(),
  ) {}

  async send(req: SendRequest): Promise<SendResult> {
    const key = hopKey(req.hop);
    let pooled = this.takeIdle(key);
    const reused = !!pooled;
    if (!pooled) {
      try {
        pooled = await this.connect(req.hop, key);
      } catch (e) {
        return { stage: 'connect', error: this.connectFailure(req.hop, e as NodemailerError) };
      }
    }
    const first = await this.transact(pooled, req);
    // A pooled connection the server had already dropped fails before any reply; nothing was sent, so a fresh connection may try.
    if (reused && first.kind === 'dead-before-reply') {
      let fresh: Pooled;
      try {
        fresh = await this.connect(req.hop, key);
      } catch (e) {
        return { stage: 'connect', error: this.connectFailure(req.hop, e as NodemailerError) };
      }
      const second = await this.transact(fresh, req);
      return second.result;
    }
    return first.result;
  }

  private connectFailure(hop: NextHop, e: NodemailerError): AttemptResult {
    if (e instanceof UpstreamRefused) return e.result;
    const code = e.code ?? 'ECONNECTION';
    const detail = e.response ? `${e.message} (${e.response.trim()})` : e.message;
    return { kind: 'connection', errorCode: code, message: `${hopLabel(hop)}: ${detail}` };
  }

  /**
   * An upstream not approved for private addresses is connected to only at
   * the public addresses its name resolved to here, so a name that points
   * into our own network is refused and one re-pointed after the check
   * cannot move the connection. Other hops connect by name as before.
   */
  private async openSocket(hop: NextHop): Promise<Socket | undefined> {
    if (hop.source !== 'upstream') return undefined;
    const plan = await planUpstreamConnection({ host: hop.host, privateAddressAllowed: !!hop.privateAddressAllowed }, this.addresses, this.settings.connectTimeoutMs);
    switch (plan.kind) {
      case 'as-named':
        return undefined;
      case 'refused':
        throw new UpstreamRefused({ kind: 'route', reason: 'upstream-not-public', message: plan.message });
      case 'unresolved':
        throw Object.assign(new Error(plan.message), { code: 'EDNS' });
      case 'addresses':
        return connectToAddresses(plan.addresses, hop.port, this.settings.connectTimeoutMs);
    }
  }

  private async connect(hop: NextHop, key: string): Promise<Pooled> {
    if (this.closed) throw Object.assign(new Error('sender is shutting down'), { code: 'ECONNECTION' });
    const socket = await this.openSocket(hop);
    if (this.closed) {
      socket?.destroy();
      throw Object.assign(new Error('sender is shutting down'), { code: 'ECONNECTION' });
    }
    return new Promise<Pooled>((resolve, reject) => {
      const options = { ...connectionOptionsFor(hop, this.settings), ...(socket ? { connection: socket } : {}) };
      const conn = new SMTPConnection(options as ConstructorParameters<typeof SMTPConnection>[0]);
      const pooled: Pooled = { conn, key, label: hopLabel(hop), messages: 0, alive: true, idleTimer: null, wantSmtpUtf8: false };
      this.rewriteMailFrom(pooled);
      let settled = false;
      const fail = (err: NodemailerError) => {
        if (settled) return;
        settled = true;
        this.drop(pooled);
        reject(err);
      };
      conn.on('error', (err: NodemailerError) => {
        pooled.alive = false;
        fail(err);
      });
      conn.on('end', () => {
        pooled.alive = false;
        this.removeIdle(pooled);
        fail(Object.assign(new Error('connection closed before the session was ready'), { code: 'ECONNECTION' }));
      });
      this.all.add(pooled);
      conn.connect(() => {
        if (settled) return;
        settled = true;
        resolve(pooled);
      });
    });
  }

  /**
   * nodemailer adds SMTPUTF8 to MAIL FROM only when an envelope address is
   * non-ASCII; a message received with SMTPUTF8 may need it for its UTF-8
   * header fields alone (RFC 6531 §3.4), so it is added whenever the
   * inbound session declared it and the hop offers it.
   */
  private rewriteMailFrom(p: Pooled): void {
    const c = p.conn as unknown as ConnectionInternals;
    const original = c._sendCommand.bind(p.conn);
    c._sendCommand = (str: string, logStr?: string) => {
      if (p.wantSmtpUtf8 && /^MAIL FROM:/i.test(str) && !/\sSMTPUTF8(\s|$)/i.test(str) && c._supportedExtensions.includes('SMTPUTF8')) str += ' SMTPUTF8';
      original(str, logStr);
    };
  }

  private transact(p: Pooled, req: SendRequest): Promise<{ kind: 'done' | 'dead-before-reply'; result: SendResult }> {
    const env: OutgoingEnvelope = req.envelope;
    const internals = p.conn as unknown as ConnectionInternals;
    const needsUtf8 = nonAscii(env.from) || env.to.some(nonAscii);
    if (needsUtf8 && !internals._supportedExtensions.includes('SMTPUTF8')) {
      // RFC 6531 §3.2: no downgrade of addresses exists; refusing is the only correct answer.
      this.release(p, true);
      const result: AttemptResult = { kind: 'reply', code: 553, enhanced: '5.6.7', text: `${p.label} does not support SMTPUTF8, which the non-ASCII addresses need` };
      return Promise.resolve({ kind: 'done', result: { stage: 'transaction', accepted: [], final: result, rejected: env.to.map((recipient) => ({ recipient, result })) } });
    }
    p.wantSmtpUtf8 = env.smtputf8;
    p.messages++;
    return new Promise((resolve) => {
      const message = req.openMessage();
      p.conn.send({ from: env.from, to: env.to, use8BitMime: env.use8BitMime, size: env.size }, message, (err, info) => {
        if (!err && info) {
          const rejected = (info.rejectedErrors ?? []).map((e) => ({ recipient: (e as NodemailerError).recipient ?? '', result: replyResult((e as NodemailerError).response, 'EENVELOPE', e.message) }));
          const final = replyResult(info.response, 'EMESSAGE', 'no reply after the final dot');
          this.release(p, false);
          return resolve({ kind: 'done', result: { stage: 'transaction', accepted: info.accepted.map(String), final, rejected } });
        }
        const e = err as NodemailerError;
        const envelope = internals._envelope ?? {};
        const rejectedErrors = e.rejectedErrors ?? envelope.rejectedErrors ?? [];
        const rejected = rejectedErrors.map((r) => ({ recipient: r.recipient ?? '', result: replyResult(r.response, 'EENVELOPE', r.message) }));
        const refused = new Set(rejected.map((r) => r.recipient));
        const accepted = env.to.filter((r) => !refused.has(r));
        const code = e.code ?? 'ECONNECTION';
        const noReply = CONNECTION_CODES.has(code) && !e.response && !(envelope.accepted?.length) && !(envelope.rejected?.length);
        const final = e.response ? replyResult(e.response, code, e.message) : { kind: 'connection' as const, errorCode: code, message: `${p.label}: ${e.message}` };
        message.destroy();
        this.release(p, true);
        resolve({ kind: noReply ? 'dead-before-reply' : 'done', result: { stage: 'transaction', accepted, final, rejected } });
      });
    });
  }

  private release(p: Pooled, broken: boolean): void {
    if (broken || !p.alive || this.closed || p.messages >= this.pool.maxMessagesPerConnection) return this.drop(p);
    const list = this.idle.get(p.key) ?? [];
    if (list.length >= this.pool.maxIdlePerHop) return this.drop(p);
    p.idleTimer = setTimeout(() => this.drop(p), this.pool.idleMs);
    p.idleTimer.unref();
    list.push(p);
    this.idle.set(p.key, list);
  }

  private takeIdle(key: string): Pooled | null {
    const list = this.idle.get(key);
    while (list && list.length) {
      const p = list.pop() as Pooled;
      if (p.idleTimer) clearTimeout(p.idleTimer);
      p.idleTimer = null;
      if (p.alive) return p;
      this.drop(p);
    }
    return null;
  }

  private removeIdle(p: Pooled): void {
    const list = this.idle.get(p.key);
    if (!list) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
  }

  private drop(p: Pooled): void {
    if (p.idleTimer) clearTimeout(p.idleTimer);
    p.idleTimer = null;
    this.removeIdle(p);
    this.all.delete(p);
    if (p.alive) {
      p.alive = false;
      try {
        p.conn.quit();
      } catch {
        p.conn.close();
      }
      // quit() waits for the server's 221; do not let a silent server keep the socket.
      setTimeout(() => p.conn.close(), 2000).unref();
    } else {
      p.conn.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const list of this.idle.values()) for (const p of [...list]) this.drop(p);
    this.idle.clear();
  }
}
