import { createServer, Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DataTerminatorScanner, messageIdOf } from './data-terminator';

const HEAD_LIMIT = 64 * 1024;

/**
 * An upstream that accepts everything and notes, by Message-ID, when each
 * message's final dot arrived (performance.now(), the same clock as the
 * bench's clients). It keeps no message bodies, so 25 MB messages cost it
 * nothing. No greeting pause, no TLS.
 */
export class TimestampSink {
  readonly arrivals = new Map<string, number>();
  messages = 0;
  duplicates = 0;
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<number> {
    this.server = createServer((s) => this.session(s));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = null;
  }

  private session(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setNoDelay(true);
    let inData = false;
    let pending = Buffer.alloc(0);
    let head: Buffer[] = [];
    let headBytes = 0;
    const scanner = new DataTerminatorScanner();

    const reply = (s: string) => socket.write(`${s}\r\n`);
    const command = (line: string): void => {
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') reply('250-timestamp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-SIZE 1073741824\r\n250 ENHANCEDSTATUSCODES');
      else if (verb === 'HELO') reply('250 timestamp-sink');
      else if (verb === 'MAIL' || verb === 'RCPT' || verb === 'RSET' || verb === 'NOOP') reply('250 2.0.0 ok');
      else if (verb === 'DATA') {
        inData = true;
        head = [];
        headBytes = 0;
        scanner.reset();
        reply('354 go ahead');
      } else if (verb === 'QUIT') {
        reply('221 2.0.0 bye');
        socket.end();
      } else reply('502 5.5.2 not implemented');
    };

    reply('220 timestamp-sink ESMTP');
    socket.on('data', (chunk: Buffer) => {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      pending = Buffer.alloc(0);
      while (buf.length) {
        if (inData) {
          const end = scanner.feed(buf);
          const body = end >= 0 ? buf.subarray(0, end) : buf;
          if (headBytes < HEAD_LIMIT) {
            head.push(body.subarray(0, HEAD_LIMIT - headBytes));
            headBytes += Math.min(body.length, HEAD_LIMIT - headBytes);
          }
          if (end < 0) return;
          const at = performance.now();
          inData = false;
          buf = buf.subarray(end);
          this.messages++;
          const id = messageIdOf(Buffer.concat(head).toString('latin1'));
          if (id) {
            if (this.arrivals.has(id)) this.duplicates++;
            else this.arrivals.set(id, at);
          }
          reply('250 2.0.0 queued');
          continue;
        }
        const nl = buf.indexOf('\n');
        if (nl < 0) {
          pending = Buffer.from(buf);
          return;
        }
        const line = buf.subarray(0, nl).toString('latin1').replace(/\r$/, '');
        buf = buf.subarray(nl + 1);
        command(line);
      }
    });
  }
}
