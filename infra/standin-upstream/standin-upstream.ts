import { X509Certificate } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { SMTPServer, SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { generate } from 'selfsigned';

/**
 * A small SMTP server of ours that plays the tenant's Exchange (or any next
 * hop): it keeps every message it accepts as `<dir>/<timestamp>-<n>.eml`
 * (the exact bytes received) beside `<timestamp>-<n>.json` (the envelope), and
 * can be stopped and started again on the same port and directory to play an
 * Exchange that goes down and comes back.
 */
export type RecipientMatcher = string | RegExp;

export interface StandinUpstreamOptions {
  port?: number;
  host?: string;
  /** Where accepted messages are kept; a fresh temporary directory when omitted. */
  dir?: string;
  /** Name in the greeting and EHLO reply. */
  hostname?: string;
  /** Recipients refused with `550 5.1.1` (exact address, case-insensitive, or a pattern). */
  rejectRecipients?: RecipientMatcher[];
  /** Recipients refused with `451 4.2.1` (try again later). */
  tempFailRecipients?: RecipientMatcher[];
  /** Greylist: refuse the first RCPT of each (sender, recipient) pair with `451 4.7.1`, accept it when the sender comes back. */
  greylistFirstAttempt?: boolean;
  /** Answer every connection with `421 4.3.2` (a server that is up but not taking mail). */
  tempFailConnect?: boolean;
  /** Offer STARTTLS with a self-signed certificate generated at start (or the one given). */
  tls?: boolean | { key: string; cert: string };
  /** Called with one JSON-able record per accepted message (the CLI logs them). */
  onMessage?: (m: StoredMessage) => void;
}

export interface StoredEnvelope {
  mailFrom: string;
  rcptTo: string[];
  remoteAddress: string;
  receivedAt: string;
  /** The BODY= parameter of MAIL FROM, e.g. `8BITMIME`, or null. */
  body: string | null;
  /** Whether MAIL FROM carried SMTPUTF8. */
  smtputf8: boolean;
  /** Whether the session was under TLS. */
  secure: boolean;
  heloName: string;
}

export interface StoredMessage extends StoredEnvelope {
  /** Path of the .eml file. */
  file: string;
  raw: Buffer;
}

export interface StandinUpstream {
  port: number;
  host: string;
  dir: string;
  /** The certificate offered with STARTTLS (PEM), when TLS is on. */
  certPem: string | null;
  keyPem: string | null;
  /** SHA-256 fingerprint of certPem in Node's `AB:CD:…` form. */
  fingerprint256: string | null;
  /** Every message kept in `dir`, oldest first (also those from an earlier run on the same dir). */
  received(): Promise<StoredMessage[]>;
  stop(): Promise<void>;
}

function matches(address: string, list: RecipientMatcher[] | undefined): boolean {
  if (!list) return false;
  const a = address.toLowerCase();
  return list.some((m) => (typeof m === 'string' ? m.toLowerCase() === a : m.test(address)));
}

function smtpError(code: number, text: string): Error & { responseCode: number } {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function generateStandinCertificate(hostname = 'localhost'): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 86400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}

export async function startStandinUpstream(opts: StandinUpstreamOptions = {}): Promise<StandinUpstream> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'standin-upstream-')));
  await mkdir(dir, { recursive: true });
  const hostname = opts.hostname ?? 'standin.localhost';
  const tlsMaterial = opts.tls === true ? await generateStandinCertificate(hostname) : opts.tls || null;
  // Continue numbering after what an earlier run left in the same directory.
  let n = (await readdir(dir)).filter((f) => f.endsWith('.json')).length;
  const greylistSeen = new Set<string>();

  const server = new SMTPServer({
    name: hostname,
    banner: 'stand-in upstream',
    authOptional: true,
    logger: false,
    size: 200 * 1024 * 1024,
    disabledCommands: tlsMaterial ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tlsMaterial ? { key: tlsMaterial.key, cert: tlsMaterial.cert } : {}),
    onConnect(_session, cb) {
      if (opts.tempFailConnect) return cb(smtpError(421, '4.3.2 Service not available, closing transmission channel'));
      cb();
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, cb: (err?: Error | null) => void) {
      if (matches(address.address, opts.rejectRecipients)) return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      if (matches(address.address, opts.tempFailRecipients)) return cb(smtpError(451, `4.2.1 <${address.address}>: Mailbox temporarily unavailable, try again later`));
      if (opts.greylistFirstAttempt) {
        const triplet = `${_session.envelope.mailFrom ? _session.envelope.mailFrom.address : ''}|${address.address}`.toLowerCase();
        if (!greylistSeen.has(triplet)) {
          greylistSeen.add(triplet);
          return cb(smtpError(451, `4.7.1 <${address.address}>: Recipient address rejected: Greylisted, please try again later`));
        }
      }
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void) {
      const base = `${Date.now()}-${++n}`;
      const emlPath = join(dir, `${base}.eml`);
      const from = session.envelope.mailFrom;
      const args = from ? from.args || {} : {};
      const envelope: StoredEnvelope = {
        mailFrom: from ? from.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        remoteAddress: session.remoteAddress,
        receivedAt: new Date().toISOString(),
        body: typeof (args as Record<string, unknown>).BODY === 'string' ? String((args as Record<string, unknown>).BODY).toUpperCase() : null,
        smtputf8: (args as Record<string, unknown>).SMTPUTF8 === true,
        secure: session.secure,
        heloName: session.hostNameAppearsAs,
      };
      pipeline(stream, createWriteStream(emlPath))
        .then(() => writeFile(join(dir, `${base}.json`), JSON.stringify(envelope, null, 2)))
        .then(async () => {
          if (opts.onMessage) opts.onMessage({ ...envelope, file: emlPath, raw: await readFile(emlPath) });
          cb(null, `2.0.0 Ok: kept as ${base}`);
        })
        .catch((e: Error) => cb(smtpError(451, `4.3.0 Could not keep the message: ${e.message}`)));
    },
  });
  server.on('error', () => undefined); // client misbehaviour is not the stand-in's concern

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as { port: number }).port;

  return {
    port,
    host,
    dir,
    certPem: tlsMaterial?.cert ?? null,
    keyPem: tlsMaterial?.key ?? null,
    fingerprint256: tlsMaterial ? new X509Certificate(tlsMaterial.cert).fingerprint256 : null,
    received: () => readStored(dir),
    stop: () =>
      new Promise<void>((resolve) => {
        // Drop open sessions at once: a dead Exchange does not finish politely.
        for (const c of server.connections) (c as unknown as { close(): void }).close();
        server.close(() => resolve());
      }),
  };
}

export async function readStored(dir: string): Promise<StoredMessage[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const order = (f: string) => f.replace(/\.json$/, '').split('-').map(Number);
  names.sort((a, b) => {
    const [ta, na] = order(a);
    const [tb, nb] = order(b);
    return ta - tb || na - nb;
  });
  const out: StoredMessage[] = [];
  for (const name of names) {
    const env = JSON.parse(await readFile(join(dir, name), 'utf8')) as StoredEnvelope;
    const file = join(dir, name.replace(/\.json$/, '.eml'));
    out.push({ ...env, file, raw: await readFile(file) });
  }
  return out;
}
