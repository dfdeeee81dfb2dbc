import addressparser from 'nodemailer/lib/addressparser';
import { headerSection } from './dsn-builder';

/** The domain of the (first) From address in a header section, lower-cased; null when there is none. */
export function fromDomainOf(head: Buffer): string | null {
  const unfolded = headerSection(head).toString('utf8').replace(/\r\n([ \t])/g, '$1');
  const line = unfolded.split('\r\n').find((l) => /^from\s*:/i.test(l));
  if (!line) return null;
  const parsed = addressparser(line.slice(line.indexOf(':') + 1), { flatten: true }) as { address?: string }[];
  const address = parsed.find((a) => a.address && a.address.includes('@'))?.address;
  if (!address) return null;
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '') || null;
}

export interface SigningQuestion {
  direction: 'inbound' | 'outbound' | 'dsn';
  /** Mail we originate (notifications) carries this flag. */
  signDkim: boolean;
  /** The tenant set sign_outbound on the From domain. */
  tenantSignsFromDomain: boolean;
}

/**
 * Whose mail we sign: what we originate (DSNs, flagged notifications) and
 * outbound mail of tenants that asked for it on the From domain. Inbound mail
 * is never signed: it is someone else's.
 */
export function shouldSign(q: SigningQuestion): boolean {
  if (q.direction === 'inbound') return false;
  if (q.direction === 'dsn' || q.signDkim) return true;
  return q.tenantSignsFromDomain;
}
