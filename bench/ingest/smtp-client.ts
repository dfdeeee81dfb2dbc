import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SmtpReply {
  code: number;
  text: string;
}

export interface SendResult extends SmtpReply {
  /** Milliseconds from writing the final `\r\n.\r\n` to the complete reply. */
  dotToReplyMs: number;
  /** performance.now() when the reply arrived. */
  repliedAt: number;
}

/**
 * A deliberately small SMTP client for measurements: one command at a time,
 * no pipelining, no TLS, so that the time it reports is the receiver's and not
 * a library's. Messages are sent as given (already CRLF, already dot-safe).
 */
export class SmtpClient {
  private buf = '';
  private lines: string[] = [];
  private waiter: ((r: SmtpReply | Error) => void) | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    const fail = (e: Error) => {
      this.closedError ??= e;
      const w = this.waiter;
      this.waiter = null;
      w?.(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static async open(host: string, port: number, helo = 'bench-client.localhost'): Promise<SmtpClient> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const c = new SmtpClient(socket);
    const greeting = await c.reply();
    if (greeting.code !== 220) throw new Error(`greeting ${greeting.code} ${greeting.text}`);
    const ehlo = await c.command(`EHLO ${helo}`);
    if (ehlo.code !== 250) throw new Error(`EHLO ${ehlo.code} ${ehlo.text}`);
    return c;
  }

  get open(): boolean {
    return !this.closedError;
  }

  private onData(s: string): void {
    this.buf += s;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      this.lines.push(line);
      if (/^\d{3}(?: |$)/.test(line)) {
        const text = this.lines.join('\n');
        this.lines = [];
        const w = this.waiter;
        this.waiter = null;
        w?.({ code: Number(line.slice(0, 3)), text });
      }
    }
  }

  private reply(): Promise<SmtpReply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.waiter = (r) => (r instanceof Error ? reject(r) : resolve(r));
    });
  }

  async command(line: string): Promise<SmtpReply> {
    const p = this.reply();
    this.socket.write(`${line}\r\n`);
    return p;
  }

  private async write(chunk: Buffer | string): Promise<void> {
    if (!this.socket.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error) => reject(e);
        this.socket.once('drain', () => {
          this.socket.off('error', onErr);
          resolve();
        });
        this.socket.once('error', onErr);
      });
    }
  }

  /**
   * One transaction. `body` yields the message (CRLF line ends, no lone dot
   * lines, not ending in CRLF); the client adds `\r\n.\r\n` and times the reply.
   */
  async send(from: string, to: string[], body: Iterable<Buffer | string>): Promise<SendResult> {
    const mail = await this.command(`MAIL FROM:<${from}>`);
    if (mail.code !== 250) return { ...mail, dotToReplyMs: NaN, repliedAt: performance.now() };
    for (const r of to) {
      const rc = await this.command(`RCPT TO:<${r}>`);
      if (rc.code !== 250) {
        await this.command('RSET');
        return { ...rc, dotToReplyMs: NaN, repliedAt: performance.now() };
      }
    }
    const data = await this.command('DATA');
    if (data.code !== 354) return { ...data, dotToReplyMs: NaN, repliedAt: performance.now() };
    for (const chunk of body) await this.write(chunk);
    const p = this.reply();
    const t0 = performance.now();
    this.socket.write('\r\n.\r\n');
    const r = await p;
    const t1 = performance.now();
    return { ...r, dotToReplyMs: t1 - t0, repliedAt: t1 };
  }

  async quit(): Promise<void> {
    if (this.open) {
      try {
        await Promise.race([this.command('QUIT'), new Promise((r) => setTimeout(r, 1000))]);
      } catch {
        // the server may close first
      }
    }
    this.socket.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A 10 KB-ish test message with a unique Message-ID, CRLF line ends, no trailing CRLF. */
export function testMessage(messageId: string, from: string, to: string, payloadBytes: number): string {
  const headers = [
    `From: <${from}>`,
    `To: <${to}>`,
    `Subject: bench ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
  ].join('\r\n');
  const line = 'La de da de da 1. La de da de da 2. La de da de da 3. La de da de da 4.';
  const lines: string[] = [];
  let n = 0;
  while (n < payloadBytes) {
    lines.push(line);
    n += line.length + 2;
  }
  return `${headers}\r\n\r\n${lines.join('\r\n')}`;
}

/** A large message yielded in 64 KB pieces so that the client never holds it whole. */
export function* largeMessage(messageId: string, from: string, to: string, totalBytes: number): Generator<Buffer> {
  yield Buffer.from(testMessage(messageId, from, to, 0) + '\r\n');
  const line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=\r\n';
  const piece = Buffer.from(line.repeat(Math.floor(65536 / line.length)));
  let sent = 0;
  while (sent + piece.length < totalBytes) {
    yield piece;
    sent += piece.length;
  }
  yield Buffer.from('end of large message');
}
