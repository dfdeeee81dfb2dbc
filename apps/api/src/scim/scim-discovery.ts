import { GROUP_SCHEMA, LIST_RESPONSE_SCHEMA, MAX_PAGE_SIZE, USER_SCHEMA } from './scim-resources';

/** What this service provider supports (RFC 7643 §5–7), for clients that read it before provisioning. */

type Obj = Record<string, unknown>;

export function serviceProviderConfig(baseUrl: string): Obj {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: `${baseUrl.replace(/\/scim\/v2$/, '')}/api/docs`,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: 'oauthbearertoken', name: 'Bearer token', description: 'A SCIM token created by a tenant admin (Authorization: Bearer <token>)', primary: true },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

function resourceTypeOf(name: 'User' | 'Group', baseUrl: string): Obj {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: name,
    name,
    endpoint: `/${name}s`,
    description: name === 'User' ? 'A mailbox (standby mailbox of an employee)' : 'A distribution group',
    schema: name === 'User' ? USER_SCHEMA : GROUP_SCHEMA,
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${name}` },
  };
}

export function resourceTypes(baseUrl: string): Obj {
  const all = [resourceTypeOf('User', baseUrl), resourceTypeOf('Group', baseUrl)];
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all };
}

export function resourceType(name: string, baseUrl: string): Obj | null {
  if (name === 'User' || name === 'Group') return resourceTypeOf(name, baseUrl);
  return null;
}

type AttrSpec = { name: string; type: string; multiValued?: boolean; required?: boolean; mutability?: string; uniqueness?: string; caseExact?: boolean; subAttributes?: AttrSpec[]; description?: string };

function attr(a: AttrSpec): Obj {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued ?? false,
    description: a.description ?? '',
    required: a.required ?? false,
    caseExact: a.caseExact ?? false,
    mutability: a.mutability ?? 'readWrite',
    returned: 'default',
    uniqueness: a.uniqueness ?? 'none',
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attr) } : {}),
  };
}

const typedValue = (desc: string): AttrSpec[] => [
  { name: 'value', type: 'string', description: desc },
  { name: 'type', type: 'string' },
  { name: 'primary', type: 'boolean' },
];

const USER_ATTRIBUTES: AttrSpec[] = [
  { name: 'userName', type: 'string', required: true, uniqueness: 'server', description: "The mailbox address; its domain must be one of the tenant's" },
  { name: 'displayName', type: 'string' },
  { name: 'name', type: 'complex', subAttributes: [{ name: 'formatted', type: 'string' }, { name: 'givenName', type: 'string' }, { name: 'familyName', type: 'string' }] },
  { name: 'active', type: 'boolean', description: 'false disables the mailbox (its standby copy is kept until retention)' },
  { name: 'emails', type: 'complex', multiValued: true, subAttributes: typedValue('type "work" is the mailbox address; type "other" or "home" is the alternate e-mail outside the company') },
  { name: 'phoneNumbers', type: 'complex', multiValued: true, subAttributes: typedValue('type "mobile" receives sign-in codes by SMS (E.164)') },
];

const GROUP_ATTRIBUTES: AttrSpec[] = [
  { name: 'displayName', type: 'string', required: true },
  {
    name: 'members',
    type: 'complex',
    multiValued: true,
    subAttributes: [
      { name: 'value', type: 'string', mutability: 'immutable', description: 'A User id' },
      { name: 'display', type: 'string', mutability: 'readOnly' },
      { name: '$ref', type: 'reference', mutability: 'immutable' },
      { name: 'type', type: 'string', mutability: 'immutable' },
    ],
  },
];

function schemaOf(id: string, name: string, attributes: AttrSpec[], baseUrl: string): Obj {
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id, name, description: name, attributes: attributes.map(attr), meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${id}` } };
}

export function schemas(baseUrl: string): Obj {
  const all = [schemaOf(USER_SCHEMA, 'User', USER_ATTRIBUTES, baseUrl), schemaOf(GROUP_SCHEMA, 'Group', GROUP_ATTRIBUTES, baseUrl)];
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all };
}

export function schemaById(id: string, baseUrl: string): Obj | null {
  const all = (schemas(baseUrl).Resources as Obj[]) ?? [];
  return all.find((s) => s.id === id) ?? null;
}
