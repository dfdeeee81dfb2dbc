import { createSocket, Socket } from 'node:dgram';

/**
 * A DNS server of ours that answers TXT queries from a table, over real UDP, so the
 * node:dns adapter is exercised as in production. Names absent from the
 * table get NXDOMAIN; names mapped to 'servfail' get SERVFAIL. It stands in for
 * the local caching resolver an MTA host runs, for tests and benchmarks that
 * must not wait on (or depend on) the machine's own resolver.
 */
export class DnsStandin {
  readonly txt = new Map<string, string[][] | 'servfail'>();
  private socket: Socket | null = null;

  async start(): Promise<string> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => socket.send(this.answer(msg), rinfo.port, rinfo.address));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return `127.0.0.1:${socket.address().port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private answer(query: Buffer): Buffer {
    const labels: string[] = [];
    let i = 12;
    while (query[i] !== 0) {
      labels.push(query.subarray(i + 1, i + 1 + query[i]).toString('ascii'));
      i += query[i] + 1;
    }
    const questionEnd = i + 5;
    const qtype = query.readUInt16BE(i + 1);
    const entry = this.txt.get(labels.join('.').toLowerCase());
    const rcode = entry === 'servfail' ? 2 : entry === undefined ? 3 : 0;
    const answers = rcode === 0 && qtype === 16 ? (entry as string[][]) : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const records = answers.map((strings) => {
      const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)])));
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(16, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    return Buffer.concat([header, query.subarray(12, questionEnd), ...records]);
  }
}
