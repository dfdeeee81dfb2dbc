import { groupResource, listResponse, localPartFromName, project, readPaging, userResource } from './scim-resources';
import { ScimError } from './scim-error';

const mailbox = {
  id: 'u1',
  address: 'alice@demo.example',
  displayName: 'Alice',
  mobileE164: '+4915112345678',
  alternateEmail: 'alice@home.example',
  status: 'disabled' as const,
  externalId: null,
  createdAt: new Date('2026-12-01T10:00:00Z'),
  updatedAt: new Date('2026-12-01T11:00:00Z'),
};

describe('SCIM resources', () => {
  it('shows a mailbox as a User', () => {
    expect(userResource(mailbox, 'https://api.example/scim/v2')).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'u1',
      userName: 'alice@demo.example',
      displayName: 'Alice',
      name: { formatted: 'Alice' },
      active: false,
      emails: [
        { value: 'alice@demo.example', type: 'work', primary: true },
        { value: 'alice@home.example', type: 'other', primary: false },
      ],
      phoneNumbers: [{ value: '+4915112345678', type: 'mobile', primary: true }],
      meta: { resourceType: 'User', created: '2026-12-01T10:00:00.000Z', lastModified: '2026-12-01T11:00:00.000Z', location: 'https://api.example/scim/v2/Users/u1' },
    });
  });

  it('shows a group with or without members', () => {
    const g = { id: 'g1', address: 'sales@demo.example', displayName: '', externalId: 'x', createdAt: new Date(0) };
    expect(groupResource(g, [{ id: 'u1', address: 'alice@demo.example', displayName: 'Alice' }], 'B')).toMatchObject({
      displayName: 'sales@demo.example',
      externalId: 'x',
      members: [{ value: 'u1', display: 'Alice', type: 'User', $ref: 'B/Users/u1' }],
    });
    expect(groupResource(g, null, 'B')).not.toHaveProperty('members');
  });

  it('pages 1-based, caps count, and treats nonsense as an error', () => {
    expect(readPaging({})).toEqual({ startIndex: 1, count: 100 });
    expect(readPaging({ startIndex: '0', count: '-5' })).toEqual({ startIndex: 1, count: 0 });
    expect(readPaging({ StartIndex: '3', COUNT: '5000' })).toEqual({ startIndex: 3, count: 200 });
    expect(() => readPaging({ count: 'ten' })).toThrow(ScimError);
    const list = listResponse([{ id: 'a' }, { id: 'b' }, { id: 'c' }], { startIndex: 2, count: 5 });
    expect(list).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 2, Resources: [{ id: 'b' }, { id: 'c' }] });
  });

  it('projects attributes and excludedAttributes, always keeping id and schemas', () => {
    const r = { schemas: ['s'], id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }], meta: {} };
    expect(project(r, undefined, 'members')).toEqual({ schemas: ['s'], id: 'g1', displayName: 'Sales', meta: {} });
    expect(project(r, 'displayName,urn:ietf:params:scim:schemas:core:2.0:Group:members.value')).toEqual({ schemas: ['s'], id: 'g1', displayName: 'Sales', members: [{ value: 'u1' }] });
  });

  it.each([
    ['Sales Team (EU)', 'sales-team-eu'],
    ['Équipe Générale', 'equipe-generale'],
    ['  ', 'group'],
    ['日本', 'group'],
    ['a'.repeat(80), 'a'.repeat(64)],
  ])('makes a local part from %p', (name, local) => {
    expect(localPartFromName(name)).toBe(local);
  });
});
