import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { run, sleep } from './processes';

/**
 * A private, otherwise stock Postfix: its own config, queue and data
 * directories, listening on 127.0.0.1:port and relaying the bench domain to
 * [127.0.0.1]:relayPort. Only what a private instance needs differs from the
 * Debian defaults (directories, listener, relay target, no chroot because the
 * private queue directory has no chroot environment, a log file of its own
 * because no syslog daemon runs here).
 */
export class PostfixInstance {
  readonly conf: string;
  readonly queue: string;
  readonly data: string;
  readonly log: string;

  constructor(readonly dir: string, readonly port: number, readonly relayPort: number, readonly relayDomain: string) {
    this.conf = join(dir, 'conf');
    this.queue = join(dir, 'queue');
    this.data = join(dir, 'data');
    this.log = join(dir, 'postfix.log');
  }

  async start(): Promise<void> {
    for (const d of [this.conf, this.queue, this.data]) mkdirSync(d, { recursive: true });
    const uid = Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
    chownSync(this.data, uid, -1);
    writeFileSync(
      join(this.conf, 'main.cf'),
      [
        'compatibility_level = 3.6',
        `queue_directory = ${this.queue}`,
        `data_directory = ${this.data}`,
        'command_directory = /usr/sbin',
        'daemon_directory = /usr/lib/postfix/sbin',
        'shlib_directory = /usr/lib/postfix',
        'mail_owner = postfix',
        'setgid_group = postdrop',
        'myhostname = postfix-bench.localhost',
        'mydomain = localhost',
        'mydestination =',
        'inet_interfaces = 127.0.0.1',
        'inet_protocols = ipv4',
        'mynetworks = 127.0.0.0/8',
        `relay_domains = ${this.relayDomain}`,
        `relay_transport = relay:[127.0.0.1]:${this.relayPort}`,
        'local_recipient_maps =',
        'local_transport = error:local delivery is disabled',
        'alias_maps =',
        'alias_database =',
        'biff = no',
        `maillog_file_prefixes = ${this.dir}`,
        `maillog_file = ${this.log}`,
        '',
      ].join('\n'),
    );
    const master = readFileSync('/etc/postfix/master.cf', 'utf8')
      .split('\n')
      .map((line) => {
        if (/^\s*#/.test(line) || /^\s/.test(line) || line.trim() === '') return line;
        const f = line.trim().split(/\s+/);
        if (f.length < 8) return line;
        if (f[0] === 'smtp' && f[1] === 'inet') f[0] = `127.0.0.1:${this.port}`;
        f[4] = 'n';
        return f.join(' ');
      })
      .join('\n');
    writeFileSync(join(this.conf, 'master.cf'), master);
    const r = await run('/usr/sbin/postfix', ['-c', this.conf, 'start']);
    if (r.code !== 0) throw new Error(`postfix start failed (${r.code}):\n${this.logTail()}`);
  }

  /** Messages still in Postfix's queue (incoming, active, deferred, hold, maildrop). */
  queued(): number {
    let n = 0;
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.isFile()) n++;
      }
    };
    for (const q of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) walk(join(this.queue, q));
    return n;
  }

  masterPid(): number | null {
    try {
      return Number(readFileSync(join(this.queue, 'pid', 'master.pid'), 'utf8').trim()) || null;
    } catch {
      return null;
    }
  }

  async stop(): Promise<void> {
    const pid = this.masterPid();
    await run('/usr/sbin/postfix', ['-c', this.conf, 'stop']);
    for (let i = 0; pid && i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(100);
    if (pid && existsSync(`/proc/${pid}`)) await run('/usr/sbin/postfix', ['-c', this.conf, 'abort']);
  }

  logTail(n = 20): string {
    try {
      return readFileSync(this.log, 'utf8').trim().split('\n').slice(-n).join('\n');
    } catch {
      return '(no log)';
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
