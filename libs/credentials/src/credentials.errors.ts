/** Why a credential was refused; `code` is stable for clients, `status` the HTTP status the apps answer with. */
export type CredentialErrorCode = 'credential_invalid' | 'credential_expired' | 'credential_used' | 'credential_locked' | 'not_found' | 'invalid_request';

const STATUS: Record<CredentialErrorCode, number> = {
  credential_invalid: 401,
  credential_expired: 410,
  credential_used: 410,
  credential_locked: 429,
  not_found: 404,
  invalid_request: 400,
};

export class CredentialError extends Error {
  readonly status: number;

  constructor(
    readonly code: CredentialErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CredentialError';
    this.status = STATUS[code];
  }
}
