/**
 * Whether a tenant is ready for an outage: the checks, which of them block
 * (an employee who cannot get a text cannot get into the webmail) and which
 * only advise (an employee who never practised signing in still can).
 */

export type DomainProblem = 'not_verified' | 'dkim_key_not_active' | 'dkim_key_not_published';

export interface DomainState {
  verified: boolean;
  signOutbound: boolean;
  activeDkimKeys: number;
  unpublishedDkimKeys: number;
}

/** What is wrong with a domain according to our own records (the live DNS check is a separate endpoint). */
export function domainProblems(d: DomainState): DomainProblem[] {
  const out: DomainProblem[] = [];
  if (!d.verified) out.push('not_verified');
  if (d.signOutbound && d.activeDkimKeys === 0) out.push('dkim_key_not_active');
  if (d.unpublishedDkimKeys > 0) out.push('dkim_key_not_published');
  return out;
}

export interface ReadinessCounts {
  domains: number;
  mobileNumbers: number;
  texts: number;
  webmailSignIn: number;
}

export const BLOCKING_CHECKS: ReadonlyArray<keyof ReadinessCounts> = ['domains', 'mobileNumbers', 'texts'];

/** Ready when no blocking check found anything. */
export function isReady(c: ReadinessCounts): boolean {
  return BLOCKING_CHECKS.every((k) => c[k] === 0);
}
