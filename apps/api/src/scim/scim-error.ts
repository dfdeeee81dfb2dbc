/**
 * SCIM errors (RFC 7644 §3.12): the body names the schema, carries the
 * status as a string, and for 400s and 409s a `scimType` identity providers
 * act on (Entra treats `uniqueness` on POST /Users as "already there, match it").
 */
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export class ScimError extends Error {
  constructor(readonly status: number, message: string, readonly scimType?: ScimType) {
    super(message);
    this.name = 'ScimError';
  }

  body(): ScimErrorBody {
    return { schemas: [SCIM_ERROR_SCHEMA], status: String(this.status), ...(this.scimType ? { scimType: this.scimType } : {}), detail: this.message };
  }
}

export const ScimErrors = {
  invalidFilter: (why: string) => new ScimError(400, `invalid filter: ${why}`, 'invalidFilter'),
  invalidPath: (why: string) => new ScimError(400, `invalid path: ${why}`, 'invalidPath'),
  invalidSyntax: (why: string) => new ScimError(400, why, 'invalidSyntax'),
  invalidValue: (why: string) => new ScimError(400, why, 'invalidValue'),
  noTarget: (why: string) => new ScimError(400, why, 'noTarget'),
  mutability: (why: string) => new ScimError(400, why, 'mutability'),
  uniqueness: (why: string) => new ScimError(409, why, 'uniqueness'),
  notFound: (what: string, id: string) => new ScimError(404, `${what} ${id} not found`),
  unauthorized: (why: string) => new ScimError(401, why),
};
