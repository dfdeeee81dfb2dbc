import { rename, writeFile } from 'node:fs/promises';
import { DnsStandin } from '../dns-standin/dns-standin';

/**
 * `node dist/infra/demo/demo-dns.js <address file>`
 * The demo's own DNS server: answers every query at once, with NXDOMAIN (the
 * demo's domains and senders exist nowhere), so inbound authentication in the
 * demo never waits on this machine's resolver, which may drop queries, and no
 * lookup leaves the machine. Writes its `ip:port` to the address file for
 * DNS_SERVERS once it listens.
 */
async function main(): Promise<void> {
  const addressFile = process.argv[2];
  if (!addressFile) throw new Error('usage: demo-dns <address file>');
  const dns = new DnsStandin();
  const address = await dns.start();
  // Written whole or not at all: the demo script polls for this file.
  await writeFile(`${addressFile}.tmp`, address);
  await rename(`${addressFile}.tmp`, addressFile);
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), app: 'demo-dns', msg: 'listening', address, answers: 'NXDOMAIN for every name' }) + '\n');
  const stop = () => dns.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`demo DNS failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
