import { indexableEquality, matches, parseFilter, parsePatchPath } from './scim-filter';
import { ScimError } from './scim-error';

const alice = {
  id: '6f1c0c7e-0000-4000-8000-000000000001',
  externalId: 'AbC-1',
  userName: 'alice@demo.example',
  displayName: 'Alice Smith',
  active: true,
  name: { givenName: 'Alice', familyName: 'Smith' },
  emails: [
    { value: 'alice@demo.example', type: 'work', primary: true },
    { value: 'alice@home.example', type: 'other' },
  ],
  meta: { lastModified: '2026-12-01T10:00:00.000Z' },
};

function scimTypeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ScimError ? `${e.status} ${e.scimType}` : String(e);
  }
  return undefined;
}

describe('SCIM filters', () => {
  it.each([
    ['userName eq "alice@demo.example"', true],
    ['userName eq "ALICE@Demo.Example"', true], // userName is caseExact=false
    ['UserName Eq "alice@demo.example"', true], // names and operators ignore case
    ['userName eq "bob@demo.example"', false],
    ['externalId eq "AbC-1"', true],
    ['externalId eq "abc-1"', false], // externalId is caseExact
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@demo.example"', true],
    ['name.familyName sw "Smi"', true],
    ['displayName co "ice sm"', true],
    ['userName ew "@demo.example"', true],
    ['active eq true', true],
    ['active eq false', false],
    ['emails[type eq "work" and value eq "alice@demo.example"]', true],
    ['emails[type eq "home"]', false],
    ['emails.value eq "alice@home.example"', true],
    ['title pr', false],
    ['displayName pr and not (userName eq "x@y.z")', true],
    ['userName eq "x" or (active eq true and displayName sw "Al")', true],
    ['meta.lastModified gt "2026-11-30T00:00:00Z"', true],
    ['userName ne "alice@demo.example"', false],
    ['title eq null', true],
    ['displayName eq "Alice \\"The\\" Smith"', false],
  ])('%s → %s', (filter, expected) => {
    expect(matches(alice, parseFilter(filter))).toBe(expected);
  });

  it("matches a group by id and member, as Entra's membership check does", () => {
    const group = { id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }, { value: 'u2' }] };
    expect(matches(group, parseFilter('id eq "g1" and members[value eq "u2"]'))).toBe(true);
    expect(matches(group, parseFilter('id eq "g1" and members[value eq "u3"]'))).toBe(false);
  });

  it.each(['', 'userName', 'userName eq', 'userName zz "x"', 'userName eq "unterminated', '(userName eq "x"', 'userName eq "x" and', 'emails[type eq "work"', 'userName eq bareword'])(
    'refuses %p as invalidFilter',
    (filter) => {
      expect(scimTypeOf(() => parseFilter(filter))).toBe('400 invalidFilter');
    },
  );

  it('finds an equality the store can look up, also inside an and', () => {
    expect(indexableEquality(parseFilter('userName eq "A@b.example"'), ['username', 'externalid'])).toEqual({ attr: 'username', value: 'A@b.example' });
    expect(indexableEquality(parseFilter('active eq true and externalId eq "x"'), ['username', 'externalid'])).toEqual({ attr: 'externalid', value: 'x' });
    expect(indexableEquality(parseFilter('userName eq "a" or userName eq "b"'), ['username'])).toBeNull();
    expect(indexableEquality(parseFilter('userName co "a"'), ['username'])).toBeNull();
  });
});

describe('SCIM PATCH paths', () => {
  it('reads plain, sub-attribute, filtered and extension paths', () => {
    expect(parsePatchPath('active')).toEqual({ path: ['active'] });
    expect(parsePatchPath('name.givenName')).toEqual({ path: ['name', 'givenname'] });
    expect(parsePatchPath('emails[type eq "work"].value')).toEqual({
      path: ['emails'],
      filter: { type: 'compare', path: ['type'], op: 'eq', value: 'work' },
      sub: 'value',
    });
    expect(parsePatchPath('members[value eq "u1"]').filter).toEqual({ type: 'compare', path: ['value'], op: 'eq', value: 'u1' });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department')).toEqual({
      path: ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:user', 'department'],
    });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName')).toEqual({ path: ['name', 'familyname'] });
  });

  it.each(['emails[type eq "work"', 'emails[type eq "work"]value', 'a b', 'emails[type zz "work"].value'])('refuses %p as invalidPath', (p) => {
    expect(scimTypeOf(() => parsePatchPath(p))).toBe('400 invalidPath');
  });
});
