import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startStandinUpstream } from './standin-upstream';

/**
 * `node dist/infra/standin-upstream/main.js --port 2526 --dir ./.data/upstream`
 * Plays the tenant's Exchange for the demo: keeps what it receives and logs one
 * JSON line per message. Stop it (Ctrl-C) and start it again to play an outage.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '2526' },
      host: { type: 'string', default: '127.0.0.1' },
      dir: { type: 'string', default: './.data/upstream' },
      reject: { type: 'string', multiple: true, default: [] },
      tempfail: { type: 'string', multiple: true, default: [] },
      tls: { type: 'boolean', default: false },
    },
  });
  const log = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), app: 'standin-upstream', ...o }) + '\n');
  const pattern = (s: string) => (s.startsWith('/') && s.endsWith('/') && s.length > 2 ? new RegExp(s.slice(1, -1), 'i') : s);
  const up = await startStandinUpstream({
    port: Number(values.port),
    host: values.host,
    dir: values.dir,
    rejectRecipients: (values.reject as string[]).map(pattern),
    tempFailRecipients: (values.tempfail as string[]).map(pattern),
    tls: values.tls,
    onMessage: (m) => log({ msg: 'received', file: m.file, mailFrom: m.mailFrom, rcptTo: m.rcptTo, size: m.raw.length, body: m.body, smtputf8: m.smtputf8, secure: m.secure, remoteAddress: m.remoteAddress }),
  });
  if (up.certPem) await writeFile(join(up.dir, 'standin-cert.pem'), up.certPem);
  log({ msg: 'listening', host: up.host, port: up.port, dir: up.dir, tls: !!up.certPem, fingerprint256: up.fingerprint256 });
  const stop = (signal: string) => {
    log({ msg: 'stopping', signal });
    up.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e) => {
  process.stderr.write(`standin-upstream failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
