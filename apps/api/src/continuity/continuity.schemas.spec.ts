import { auditQuery, credentialsBody, drillBody, reasonBody } from './continuity.schemas';

describe('continuity request bodies', () => {
  it('needs a reason that is not blank, and trims it', () => {
    expect(reasonBody.safeParse({}).success).toBe(false);
    expect(reasonBody.safeParse({ reason: '   ' }).success).toBe(false);
    expect(reasonBody.parse({ reason: '  Exchange is down ' })).toEqual({ reason: 'Exchange is down' });
  });

  it('takes a drill for some mailboxes or for all, not both and not neither', () => {
    expect(drillBody.safeParse({ reason: 'r', mailboxIds: ['a@x.example'] }).success).toBe(true);
    expect(drillBody.safeParse({ reason: 'r', all: true }).success).toBe(true);
    expect(drillBody.safeParse({ reason: 'r', all: true, mailboxIds: ['a@x.example'] }).success).toBe(false);
    expect(drillBody.safeParse({ reason: 'r' }).success).toBe(false);
    expect(drillBody.safeParse({ reason: 'r', mailboxIds: [] }).success).toBe(false);
    expect(drillBody.safeParse({ reason: 'r', all: false }).success).toBe(false);
  });

  it('sends credentials to exactly one of mailboxes, a group or all', () => {
    expect(credentialsBody.safeParse({ group: 'team@x.example' }).success).toBe(true);
    expect(credentialsBody.safeParse({ all: true, reason: 'new phones' }).success).toBe(true);
    expect(credentialsBody.safeParse({ group: 'team@x.example', all: true }).success).toBe(false);
    expect(credentialsBody.safeParse({}).success).toBe(false);
  });

  it('reads audit filters from the query string with bounds', () => {
    expect(auditQuery.parse({})).toEqual({ limit: 50, offset: 0 });
    expect(auditQuery.parse({ limit: '10', offset: '20', action: 'queue.*', from: '2026-12-01T00:00:00Z' })).toMatchObject({ limit: 10, offset: 20, action: 'queue.*', from: new Date('2026-12-01T00:00:00Z') });
    expect(auditQuery.safeParse({ limit: '501' }).success).toBe(false);
    expect(auditQuery.safeParse({ action: "x' OR 1=1" }).success).toBe(false);
  });
});
