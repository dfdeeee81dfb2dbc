import type { Socket } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { parseReply } from '@app/smtp';
import { connectToAddresses, DnsHostAddresses, HostAddresses, planUpstreamConnection } from '@app/tenants/upstream-address';
import { connectionOptionsFor, upstreamHops } from '@app/delivery/next-hop';
import type { AttemptResult } from '@app/delivery/delivery-outcome';
import type { ProbeRequest, ProbeResult, UpstreamProber } from './upstream-prober.port';

interface NodemailerError extends Error { code?: string; response?: string }
interface ConnectionInternals {
  _sendCommand(str: string): void;
  _responseActions: Array<(str: string) => void>;
}

/**
 * Probes through nodemailer's SMTPConnection with the same next-hop and TLS
 * options the delivery engine uses, so a probe succeeds exactly when a
 * delivery could open a session: a pinned certificate that no longer
 * matches fails both. The canary RCPT is sent as raw commands on the
 * established session (SMTPConnection has no envelope-only transaction).
 */
export class NodemailerUpstreamProber implements UpstreamProber {
  constructor(private readonly heloName: string, private readonly addresses: HostAddresses = new DnsHostAddresses()) {}

  async probe(req: ProbeRequest): Promise<ProbeResult> {
    const started = Date.now();
    const hop = upstreamHops([{ ...req.target, priority: 0 }])[0];
    const options = connectionOptionsFor(hop, { heloName: this.heloName, connectTimeoutMs: req.timeoutMs, commandTimeoutMs: req.timeoutMs });
    // The same address check as deliveries: a name that resolves into a private network is not connected to, and the probe goes to the checked address.
    const plan = await planUpstreamConnection(req.target, this.addresses, req.timeoutMs);
    const elapsed = () => Date.now() - started;
    if (plan.kind === 'refused') return { result: { kind: 'route', reason: 'upstream-not-public', message: plan.message }, stage: 'connect', elapsedMs: elapsed() };
    if (plan.kind === 'unresolved') return { result: { kind: 'connection', errorCode: 'EDNS', message: plan.message }, stage: 'connect', elapsedMs: elapsed() };
    let socket: Socket | undefined;
    if (plan.kind === 'addresses') {
      try {
        socket = await connectToAddresses(plan.addresses, req.target.port, Math.max(req.timeoutMs - elapsed(), 1));
      } catch (e) {
        return { result: failure(e as NodemailerError), stage: 'connect', elapsedMs: elapsed() };
      }
    }
    return this.session(req, { ...options, ...(socket ? { connection: socket } : {}) }, started);
  }

  private session(req: ProbeRequest, options: Record<string, unknown>, started: number): Promise<ProbeResult> {
    return new Promise<ProbeResult>((resolve) => {
      const conn = new SMTPConnection(options as ConstructorParameters<typeof SMTPConnection>[0]);
      let stage: ProbeResult['stage'] = 'connect';
      let done = false;
      const finish = (result: AttemptResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ result, stage, elapsedMs: Date.now() - started });
        try {
          if (stage === 'connect') conn.close();
          else conn.quit();
        } catch {
          conn.close();
        }
        setTimeout(() => conn.close(), 2000).unref();
      };
      const timer = setTimeout(() => finish({ kind: 'connection', errorCode: 'ETIMEDOUT', message: `probe of ${req.target.host}:${req.target.port} timed out after ${req.timeoutMs} ms at ${stage}` }), Math.max(req.timeoutMs - (Date.now() - started), 1));
      conn.on('error', (e: NodemailerError) => finish(failure(e)));
      conn.on('end', () => finish({ kind: 'connection', errorCode: 'ECONNECTION', message: `connection closed at ${stage}` }));
      conn.connect(async () => {
        stage = 'session';
        if (!req.canaryAddress) return finish({ kind: 'reply', code: 250, enhanced: null, text: 'session established (EHLO accepted)' });
        stage = 'mail';
        const mail = reply(await command(conn, 'MAIL FROM:<>'));
        if (mail.kind !== 'reply' || mail.code >= 300) return finish(mail);
        stage = 'rcpt';
        const rcpt = reply(await command(conn, `RCPT TO:<${req.canaryAddress}>`));
        if (!done) command(conn, 'RSET').catch(() => undefined);
        finish(rcpt);
      });
    });
  }
}

function command(conn: SMTPConnection, line: string): Promise<string> {
  const c = conn as unknown as ConnectionInternals;
  return new Promise((resolve) => {
    c._responseActions.push((str: string) => resolve(str));
    c._sendCommand(line);
  });
}

function reply(raw: string): AttemptResult {
  const parsed = parseReply(raw);
  return parsed ? { kind: 'reply', ...parsed } : { kind: 'connection', errorCode: 'EPROTOCOL', message: `unreadable reply: ${raw.slice(0, 200)}` };
}

function failure(e: NodemailerError): AttemptResult {
  // A greeting of "421 4.3.2 …" arrives as an error carrying the server's reply: keep it as a reply so its status counts.
  const parsed = e.response ? parseReply(e.response) : null;
  if (parsed) return { kind: 'reply', ...parsed };
  return { kind: 'connection', errorCode: e.code ?? 'ECONNECTION', message: e.message };
}
