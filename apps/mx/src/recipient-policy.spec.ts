import { DomainTenant } from '@app/mailboxes/recipient-directory.service';
import {
  checkDomain, checkRecipientCount, checkSender, checkSessionsPerIp, classifyCalloutReply, decideFromCallout, decideRecipient, parseRecipient,
} from './recipient-policy';

function refusal(raw: string) {
  const r = parseRecipient(raw);
  if (r.ok) throw new Error(`${raw} was accepted`);
  return `${r.refusal.check} ${r.refusal.reply.toString()}`;
}

describe('parseRecipient', () => {
  it('canonicalises the domain and keeps the local part as written, with a lower-case lookup key', () => {
    const r = parseRecipient('John.Doe@Example.COM');
    expect(r).toEqual({ ok: true, value: { local: 'John.Doe', domain: 'example.com', address: 'John.Doe@example.com', key: 'john.doe@example.com' } });
  });

  it('turns Unicode domains into their xn-- form', () => {
    const r = parseRecipient('max@bücher.example');
    expect(r.ok && r.value.domain).toBe('xn--bcher-kva.example');
  });

  it.each([
    ['user%other.example@ours.example', /^percent_hack 550 5\.7\.1/],
    ['other.example!user@ours.example', /^bang_path 550 5\.7\.1/],
    ['@relay.example:user@ours.example', /^source_route 550 5\.7\.1/],
    ['@a.example,@b.example:user@ours.example', /^source_route 550 5\.7\.1/],
    ['"user@other.example"@ours.example', /^quoted_local_part 550 5\.7\.1/],
    ['"user"@ours.example', /^quoted_local_part 550 5\.7\.1/],
    ['user@other.example@ours.example', /^extra_at 550 5\.7\.1/],
    ['user@[192.0.2.1]', /^ip_literal 550 5\.7\.1/],
    ['user@[IPv6:2001:db8::1]', /^ip_literal 550 5\.7\.1/],
    ['user@192.0.2.1', /^ip_literal 550 5\.7\.1/],
    ['postmaster', /^missing_domain 550 5\.7\.1/],
    ['user@ours.example.', /^trailing_dot 501 5\.1\.3/],
    ['user.@ours.example', /^trailing_dot 501 5\.1\.3/],
    ['.user@ours.example', /^local_part_syntax 501 5\.1\.3/],
    ['us..er@ours.example', /^local_part_syntax 501 5\.1\.3/],
    ['@ours.example', /^source_route|^local_part_syntax/],
    ['user@localhost', /^domain_syntax 501 5\.1\.3/],
    ['user@-bad-.example', /^domain_syntax 501 5\.1\.3/],
  ])('refuses %s', (raw, expected) => {
    expect(refusal(raw)).toMatch(expected);
  });
});

describe('checkSender', () => {
  it('allows the null sender and ordinary addresses', () => {
    expect(checkSender('')).toBeNull();
    expect(checkSender('a@b.example')).toBeNull();
    expect(checkSender('bounce@[192.0.2.1]')).toBeNull();
  });
  it.each(['nodomain', '@b.example', 'a@', 'a b@c.example'])('refuses %s with 501 5.1.7', (raw) => {
    expect(checkSender(raw)?.reply.toString()).toMatch(/^501 5\.1\.7/);
  });
});

const tenant: DomainTenant = { tenantId: 't', domain: 'ours.example', unknownRecipientPolicy: 'reject', deliveryLifetimeSeconds: 60 };
const addr = (parseRecipient('nobody@ours.example') as { ok: true; value: Parameters<typeof decideRecipient>[0] }).value;

describe('recipient decisions', () => {
  it('refuses a domain that is not a verified domain of a tenant with 550 5.7.1', () => {
    expect(checkDomain(null)?.reply.toString()).toMatch(/^550 5\.7\.1 Relaying denied/);
    expect(checkDomain(tenant)).toBeNull();
  });

  it('accepts known addresses with their mirror mailboxes', () => {
    expect(decideRecipient(addr, tenant, { kind: 'group', mailboxIds: ['m1', 'm2'] })).toEqual({ accept: true, mailboxIds: ['m1', 'm2'], passthrough: false });
  });

  it('refuses unknown mailboxes with 550 5.1.1 unless the tenant passes unknown recipients through', () => {
    const d = decideRecipient(addr, tenant, null);
    expect('accept' in d && !d.accept && d.refusal.reply.toString()).toMatch(/^550 5\.1\.1 <nobody@ours\.example>/);
    expect(decideRecipient(addr, { ...tenant, unknownRecipientPolicy: 'passthrough' }, null)).toEqual({ callout: true });
  });

  it('follows the upstream answer for pass-through recipients', () => {
    expect(decideFromCallout(addr, 'accepted')).toEqual({ accept: true, mailboxIds: [], passthrough: true });
    const refused = decideFromCallout(addr, 'refused');
    expect('accept' in refused && !refused.accept && refused.refusal.reply.toString()).toMatch(/^550 5\.1\.1/);
    const unavailable = decideFromCallout(addr, 'unavailable');
    expect('accept' in unavailable && !unavailable.accept && unavailable.refusal.reply.toString()).toMatch(/^451 4\.4\.3/);
  });

  it('classifies callout replies', () => {
    expect(classifyCalloutReply(250)).toBe('accepted');
    expect(classifyCalloutReply(550)).toBe('refused');
    expect(classifyCalloutReply(451)).toBe('unavailable');
    expect(classifyCalloutReply(0)).toBe('unavailable');
  });

  it('limits recipients per transaction (a repeated address does not count) and sessions per IP', () => {
    expect(checkRecipientCount(2, 3, false)).toBeNull();
    expect(checkRecipientCount(3, 3, false)?.reply.toString()).toMatch(/^452 4\.5\.3/);
    expect(checkRecipientCount(3, 3, true)).toBeNull();
    expect(checkSessionsPerIp(1, 2)).toBeNull();
    expect(checkSessionsPerIp(2, 2)?.reply.toString()).toMatch(/^421 4\.7\.0/);
  });
});
