import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** A text the stand-in accepted, as Twilio would have received it. */
export interface StandinMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  status: string;
  receivedAt: Date;
}

/** A failure to answer the next request(s) with, as Twilio does. */
export type StandinFailure = 'rate-limit' | 'server-error' | 'invalid-number' | 'not-mobile';

const FAILURES: Record<StandinFailure, { status: number; code: number; message: string }> = {
  'rate-limit': { status: 429, code: 20429, message: 'Too Many Requests' },
  'server-error': { status: 500, code: 20500, message: 'Internal Server Error' },
  'invalid-number': { status: 400, code: 21211, message: "The 'To' number is not a valid phone number." },
  'not-mobile': { status: 400, code: 21614, message: "'To' number is not a valid mobile number" },
};

export interface TwilioStandinOptions {
  accountSid?: string;
  authToken?: string;
  port?: number;
  host?: string;
  /** After accepting a text, report 'sent' then 'delivered' to its statusCallback, signed like Twilio. */
  autoDeliver?: boolean;
  onMessage?: (m: StandinMessage) => void;
}

export interface TwilioStandin {
  url: string;
  port: number;
  accountSid: string;
  authToken: string;
  /** Every accepted text, oldest first. */
  messages: StandinMessage[];
  /** Texts answered with a failure (failNext), as they were sent: a test can try the code that never arrived. */
  rejected: Array<{ to: string; body: string; failure: StandinFailure }>;
  /** Every request to the Messages API, accepted or not. */
  requests: number;
  /** Answers the next `times` message requests with the failure. */
  failNext(failure: StandinFailure, times?: number): void;
  /** POSTs a status callback for an accepted text, signed with the auth token (X-Twilio-Signature). */
  sendStatus(sid: string, status: string, opts?: { errorCode?: string; signWith?: string }): Promise<number>;
  waitForMessages(n: number, timeoutMs?: number): Promise<StandinMessage[]>;
  close(): Promise<void>;
}

/** Our apps' settings that send texts through a stand-in (or any Twilio-compatible endpoint): driver, account, token, sender and base URL. */
export function twilioDriverEnv(standin: Pick<TwilioStandin, 'url' | 'accountSid' | 'authToken'>, from = '+15005550006'): Record<string, string> {
  return { SMS_DRIVER: 'twilio', TWILIO_ACCOUNT_SID: standin.accountSid, TWILIO_AUTH_TOKEN: standin.authToken, TWILIO_FROM: from, TWILIO_BASE_URL: standin.url };
}

/** Twilio's webhook signature: HMAC-SHA1 over the URL followed by each POST parameter name and value, sorted by name; base64. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, k) => acc + k + params[k], url);
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A local server that speaks enough of Twilio's REST API for our sender:
 * POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth, answering a
 * message resource with status 'queued'; errors in Twilio's shape on demand;
 * status callbacks signed as Twilio signs them. For tests and the demo.
 */
export async function startTwilioStandin(opts: TwilioStandinOptions = {}): Promise<TwilioStandin> {
  const accountSid = opts.accountSid ?? `AC${randomBytes(16).toString('hex')}`;
  const authToken = opts.authToken ?? randomBytes(16).toString('hex');
  const messages: StandinMessage[] = [];
  const failures: StandinFailure[] = [];
  const rejected: TwilioStandin['rejected'] = [];
  let requests = 0;

  const sendStatus = async (sid: string, status: string, o: { errorCode?: string; signWith?: string } = {}): Promise<number> => {
    const m = messages.find((x) => x.sid === sid);
    if (!m || !m.statusCallback) throw new Error(`no status callback for ${sid}`);
    m.status = status;
    const params: Record<string, string> = { AccountSid: accountSid, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, To: m.to, From: m.from ?? '', ApiVersion: '2010-04-01' };
    if (o.errorCode) params.ErrorCode = o.errorCode;
    const res = await fetch(m.statusCallback, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilioSignature(o.signWith ?? authToken, m.statusCallback, params), 'User-Agent': 'TwilioProxy/1.1' },
      body: new URLSearchParams(params).toString(),
    });
    await res.arrayBuffer();
    return res.status;
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://standin');
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
      if (!match || req.method !== 'POST') return json(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      requests++;
      const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
      const [user, pass] = auth ? Buffer.from(auth[1], 'base64').toString('utf8').split(':') : [];
      if (user !== accountSid || pass !== authToken || match[1] !== accountSid) {
        return json(res, 401, { code: 20003, message: 'Authentication Error - invalid username', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      }
      const form = new URLSearchParams(await readBody(req));
      const failure = failures.shift();
      if (failure) {
        rejected.push({ to: form.get('To') ?? '', body: form.get('Body') ?? '', failure });
        const f = FAILURES[failure];
        return json(res, f.status, { code: f.code, message: f.message, more_info: `https://www.twilio.com/docs/errors/${f.code}`, status: f.status });
      }
      const to = form.get('To') ?? '';
      if (!/^\+[1-9]\d{6,14}$/.test(to)) return json(res, 400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 });
      if (!form.get('Body')) return json(res, 400, { code: 21602, message: 'Message body is required.', status: 400 });
      if (!form.get('From') && !form.get('MessagingServiceSid')) return json(res, 400, { code: 21603, message: "A 'From' phone number is required.", status: 400 });
      const m: StandinMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        accountSid,
        to,
        from: form.get('From'),
        messagingServiceSid: form.get('MessagingServiceSid'),
        body: form.get('Body') as string,
        statusCallback: form.get('StatusCallback'),
        status: 'queued',
        receivedAt: new Date(),
      };
      messages.push(m);
      opts.onMessage?.(m);
      const now = new Date().toUTCString();
      json(res, 201, {
        sid: m.sid,
        account_sid: accountSid,
        to: m.to,
        from: m.from,
        messaging_service_sid: m.messagingServiceSid,
        body: m.body,
        status: 'queued',
        num_segments: String(Math.max(1, Math.ceil(m.body.length / 153))),
        num_media: '0',
        direction: 'outbound-api',
        api_version: '2010-04-01',
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`,
        subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}/Media.json` },
      });
      if (opts.autoDeliver && m.statusCallback) {
        setTimeout(() => {
          sendStatus(m.sid, 'sent')
            .then(() => sendStatus(m.sid, 'delivered'))
            .catch(() => undefined);
        }, 50);
      }
    } catch (e) {
      json(res, 500, { code: 20500, message: e instanceof Error ? e.message : String(e), status: 500 });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    accountSid,
    authToken,
    messages,
    rejected,
    get requests() {
      return requests;
    },
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) failures.push(failure);
    },
    sendStatus,
    async waitForMessages(n, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`stand-in got ${messages.length} of ${n} texts`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return messages;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
