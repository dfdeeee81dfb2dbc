import { Test } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DNS_RESOLVER, DnsResolver, MTA_STS_SOURCE, MtaStsSource, MxAnswer } from '@app/delivery';
import { DKIM_TXT_LOOKUP, DkimKeysService, DkimTxtLookup } from '@app/dkim';
import { MAIL_AUTH_RESOLVER, MailAuthResolver } from '@app/mail-auth';
import { QueueWorkers } from '../../../apps/worker/src/queue-workers.service';
import { WorkerModule } from '../../../apps/worker/src/worker.module';

function dnsError(code: 'ENOTFOUND' | 'ENODATA', name: string): Error {
  return Object.assign(new Error(`${code} ${name}`), { code });
}

/**
 * The DNS of a test: MX answers, TXT records (DKIM keys, SPF, DMARC,
 * MTA-STS ids) and MTA-STS policy files, served through every DNS port the
 * worker has. Records can be changed while the worker runs, as a tenant
 * publishing a record would.
 */
export class TestDns {
  readonly mx = new Map<string, MxAnswer>();
  readonly txt = new Map<string, string[][]>();
  readonly a = new Map<string, string[]>();
  readonly policies = new Map<string, string>();
  /** Names whose lookups never answer (a DNS server that hangs). */
  readonly hanging = new Set<string>();

  setTxt(name: string, ...records: string[]): void {
    this.txt.set(name.toLowerCase(), records.map((r) => chunk(r)));
  }

  removeTxt(name: string): void {
    this.txt.delete(name.toLowerCase());
  }

  /** A snapshot of the TXT records, to verify mail later against what was published when it was sent. */
  snapshot(): TestDns {
    const copy = new TestDns();
    for (const [k, v] of this.txt) copy.txt.set(k, v.map((r) => [...r]));
    return copy;
  }

  readonly routes: DnsResolver = {
    resolveMx: async (domain: string) => this.mx.get(domain.toLowerCase()) ?? { kind: 'nxdomain' },
  };

  readonly dkimLookup: DkimTxtLookup = { txt: async (name: string) => this.txt.get(name.toLowerCase()) ?? [] };

  readonly mtaSts: MtaStsSource = {
    txt: async (domain: string) => this.txt.get(`_mta-sts.${domain}`.toLowerCase()) ?? [],
    fetchPolicy: async (domain: string) => {
      const p = this.policies.get(domain.toLowerCase());
      if (p === undefined) throw new Error(`no policy served for ${domain}`);
      return p;
    },
  };

  /** mailauth's resolver: node:dns shapes and error codes. */
  readonly resolver: MailAuthResolver = async (name: string, rrtype: string) => {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (this.hanging.has(n)) return new Promise(() => undefined);
    switch (rrtype) {
      case 'TXT': {
        const r = this.txt.get(n);
        if (!r) throw dnsError('ENOTFOUND', n);
        return r;
      }
      case 'MX': {
        const r = this.mx.get(n);
        if (!r || r.kind !== 'mx') throw dnsError('ENOTFOUND', n);
        return r.records;
      }
      case 'A': {
        const r = this.a.get(n);
        if (!r) throw dnsError('ENOTFOUND', n);
        return r;
      }
      default:
        throw dnsError('ENODATA', n);
    }
  };
}

/** TXT strings are at most 255 octets; long records (DKIM keys) come split, as real DNS serves them. */
function chunk(value: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i += 255) out.push(value.slice(i, i + 255));
  return out.length ? out : [''];
}

export interface WorkerWithDns {
  app: INestApplication;
  keys: DkimKeysService;
  stop(): Promise<void>;
}

/** The worker in-process with every DNS port answered by the test's records. */
export async function startWorkerWithDns(cfg: AppConfig, dns: TestDns): Promise<WorkerWithDns> {
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule.forConfig(cfg)] })
    .overrideProvider(DNS_RESOLVER)
    .useValue(dns.routes)
    .overrideProvider(MAIL_AUTH_RESOLVER)
    .useValue(dns.resolver)
    .overrideProvider(DKIM_TXT_LOOKUP)
    .useValue(dns.dkimLookup)
    .overrideProvider(MTA_STS_SOURCE)
    .useValue(dns.mtaSts)
    .compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  const workers = app.get(QueueWorkers);
  await workers.start();
  let stopping: Promise<void> | null = null;
  return {
    app,
    keys: app.get(DkimKeysService),
    stop: () =>
      (stopping ??= (async () => {
        await workers.stop(cfg.SHUTDOWN_GRACE_MS);
        await app.close();
      })()),
  };
}

/** Publishes a key's record in the test DNS and runs the check that activates it. */
export async function publishAndActivate(dns: TestDns, keys: DkimKeysService, domain: string): Promise<void> {
  for (const k of await keys.keys(domain)) if (k.state === 'pending') dns.setTxt(k.record.name, k.record.value);
  await keys.check(domain);
}
