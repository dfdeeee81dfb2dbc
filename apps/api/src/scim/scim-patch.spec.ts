import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, readPatchRequest } from './scim-patch';
import { ScimError } from './scim-error';
import { userFieldsOf, groupFieldsOf } from './scim-resources';

const fixture = (name: string, vars: Record<string, string> = {}) => {
  let text = readFileSync(join(__dirname, '../../../../test/fixtures/scim', name), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(v);
  return JSON.parse(text) as Record<string, unknown>;
};

const user = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  id: 'u1',
  userName: 'alex.wilber@demo.example',
  displayName: 'Alex Wilber',
  name: { formatted: 'Alex Wilber' },
  active: true,
  emails: [{ value: 'alex.wilber@demo.example', type: 'work', primary: true }],
  meta: { resourceType: 'User' },
});

function errorOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof ScimError ? `${e.status} ${e.scimType}` : String(e);
  }
  return undefined;
}

describe('SCIM PATCH', () => {
  it("applies Entra's attribute update (capitalised ops, filtered paths, extension attributes)", () => {
    const ops = readPatchRequest(fixture('entra-patch-user-attributes.json', { domain: 'demo.example' }));
    const out = applyPatch(user(), ops);
    const fields = userFieldsOf(out);
    expect(fields.displayName).toBe('Alex Wilber-Smith');
    expect(fields.mobile).toBe('+44 7700 900123');
    expect(fields.userName).toBe('alex.wilber@demo.example');
    expect(out.emails).toEqual([{ value: 'alex.wilber@demo.example', type: 'work', primary: true }]);
    expect((out['urn:ietf:params:scim:schemas:extension:enterprise:2.0:user'] as Record<string, unknown>).department).toBe('Sales');
  });

  it('disables with Entra\'s "False" string and with Okta\'s path-less replace', () => {
    expect(userFieldsOf(applyPatch(user(), readPatchRequest(fixture('entra-patch-user-disable.json')))).active).toBe(false);
    expect(userFieldsOf(applyPatch(user(), readPatchRequest(fixture('okta-patch-user-deactivate.json')))).active).toBe(false);
  });

  it('path-less values whose keys are paths', () => {
    const out = applyPatch(user(), [{ op: 'replace', value: { 'name.givenName': 'Al', 'emails[type eq "other"].value': 'al@home.example', displayName: 'Al W' } }]);
    expect(out.name).toEqual({ formatted: 'Alex Wilber', givenname: 'Al' });
    expect(userFieldsOf(out)).toMatchObject({ displayName: 'Al W', alternateEmail: 'al@home.example' });
  });

  it('replace of a work e-mail that does not exist yet adds it', () => {
    const u = { ...user(), emails: [] };
    const out = applyPatch(u, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'x@demo.example' }]);
    expect(out.emails).toEqual([{ type: 'work', value: 'x@demo.example' }]);
  });

  it('removes a phone number and an attribute', () => {
    const u = { ...user(), phoneNumbers: [{ value: '+4915112345678', type: 'mobile' }], externalId: 'e1' };
    const out = applyPatch(u, [
      { op: 'remove', path: 'phoneNumbers[type eq "mobile"]' },
      { op: 'remove', path: 'externalId' },
    ]);
    expect(userFieldsOf(out)).toMatchObject({ mobile: null, externalId: undefined });
  });

  it('adds and removes group members the ways Entra and Okta do', () => {
    const group = { id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }] };
    let out = applyPatch(group, readPatchRequest(fixture('entra-patch-group-add-member.json', { userId: 'u2' })));
    out = applyPatch(out, [{ op: 'add', path: 'members', value: [{ value: 'u2' }, { value: 'u3' }] }]);
    expect(groupFieldsOf(out).memberIds).toEqual(['u1', 'u2', 'u3']);
    out = applyPatch(out, readPatchRequest(fixture('entra-patch-group-remove-member.json', { userId: 'u1' })));
    out = applyPatch(out, readPatchRequest(fixture('okta-patch-group-remove-member-filter.json', { userId: 'u3' })));
    expect(groupFieldsOf(out).memberIds).toEqual(['u2']);
    out = applyPatch(out, [{ op: 'replace', path: 'members', value: [{ value: 'u9' }] }]);
    expect(groupFieldsOf(out).memberIds).toEqual(['u9']);
    out = applyPatch(out, [{ op: 'remove', path: 'members' }]);
    expect(groupFieldsOf(out).memberIds).toBeUndefined();
  });

  it('does not change the input document', () => {
    const u = user();
    applyPatch(u, [{ op: 'replace', path: 'displayName', value: 'X' }]);
    expect(u.displayName).toBe('Alex Wilber');
  });

  it.each([
    [{ Operations: [{ op: 'replace', path: 'active', value: false }] }, '400 invalidSyntax'], // no schemas
    [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] }, '400 invalidSyntax'],
    [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'move', path: 'a' }] }, '400 invalidSyntax'],
    [{ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active' }] }, '400 invalidValue'],
  ])('refuses a malformed PatchOp %#', (body, expected) => {
    expect(errorOf(() => readPatchRequest(body))).toBe(expected);
  });

  it.each([
    [{ op: 'remove' as const }, '400 noTarget'],
    [{ op: 'replace' as const, path: 'id', value: 'x' }, '400 mutability'],
    [{ op: 'replace' as const, path: 'displayName[type eq "x"]', value: 'x' }, '400 invalidPath'],
    [{ op: 'replace' as const, path: 'emails[type co "w"].value', value: 'x' }, '400 noTarget'],
    [{ op: 'replace' as const, value: 'not an object' }, '400 invalidValue'],
  ])('refuses operation %#', (op, expected) => {
    expect(errorOf(() => applyPatch({ ...user(), emails: [] }, [op]))).toBe(expected);
  });
});

describe('SCIM resources to directory fields', () => {
  it("maps Entra's create request", () => {
    expect(userFieldsOf(fixture('entra-create-user.json', { domain: 'demo.example' }))).toEqual({
      userName: 'alex.wilber@demo.example',
      displayName: 'Alex Wilber',
      active: true,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      mobile: '+49 151 2345 6789',
      alternateEmail: null,
    });
  });

  it('builds a display name from name when displayName is missing', () => {
    expect(userFieldsOf({ userName: 'a@b.example', name: { givenName: 'Ann', familyName: 'Lee' } }).displayName).toBe('Ann Lee');
  });

  it.each([
    [{}, '400 invalidValue'],
    [{ userName: 'a@b.example', active: 'maybe' }, '400 invalidValue'],
    [{ userName: 'a@b.example', emails: 'a@b.example' }, '400 invalidValue'],
    [{ userName: 'a@b.example', phoneNumbers: [{ type: 'mobile', value: 4915 }] }, '400 invalidValue'],
  ])('refuses a bad user document %#', (doc, expected) => {
    expect(errorOf(() => userFieldsOf(doc))).toBe(expected);
  });

  it('maps a group and refuses members without a value', () => {
    expect(groupFieldsOf(fixture('entra-create-group.json'))).toEqual({ displayName: 'Sales Team (EU)', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', memberIds: undefined, address: undefined });
    expect(errorOf(() => groupFieldsOf({ displayName: 'x', members: [{ display: 'nobody' }] }))).toBe('400 invalidValue');
    expect(errorOf(() => groupFieldsOf({ members: [] }))).toBe('400 invalidValue');
  });
});
