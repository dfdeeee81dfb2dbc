import { newResolver } from '@app/dns';

/**
 * The DNS questions of SPF, DKIM, DMARC and ARC, in the shape mailauth asks
 * them (`dns.promises.resolve(name, rrtype)`): answers as node:dns gives
 * them, and ENOTFOUND/ENODATA errors for names and types that do not exist.
 * Tests serve their own records through it.
 */
export type MailAuthResolver = (name: string, rrtype: string) => Promise<unknown>;
export const MAIL_AUTH_RESOLVER = Symbol('MAIL_AUTH_RESOLVER');

export function systemMailAuthResolver(timeoutMs = 5000): MailAuthResolver {
  const resolver = newResolver({ timeoutMs });
  return (name, rrtype) => resolver.resolve(name, rrtype as 'TXT') as Promise<unknown>;
}

/**
 * A resolver that stops answering at a deadline: questions asked after it
 * fail at once with ETIMEOUT, which mailauth records as temperror, so a
 * verification that ran out of time ends promptly instead of waiting on DNS.
 */
export function deadlineResolver(inner: MailAuthResolver, deadline: number): MailAuthResolver {
  const timeout = () => Object.assign(new Error('DNS time box of inbound verification exhausted'), { code: 'ETIMEOUT' });
  return (name, rrtype) => {
    const left = deadline - Date.now();
    if (left <= 0) return Promise.reject(timeout());
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      inner(name, rrtype),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeout()), left);
      }),
    ]).finally(() => clearTimeout(timer));
  };
}
