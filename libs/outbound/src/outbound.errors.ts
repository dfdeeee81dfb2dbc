import { DirectoryError } from '@app/tenants/tenants.errors';

export class ConnectorsError extends DirectoryError {}

export const ConnectorErrors = {
  notFound: (name: string) => new ConnectorsError('connector_not_found', 'not_found', `the tenant has no outbound connector "${name}"`),
  nameTaken: (name: string) => new ConnectorsError('connector_name_taken', 'conflict', `the tenant already has an outbound connector "${name}"`),
  usernameTaken: (username: string) => new ConnectorsError('connector_username_taken', 'conflict', `the SMTP AUTH user name "${username}" is already in use`),
  invalid: (why: string) => new ConnectorsError('connector_invalid', 'invalid', why),
  noAuth: (name: string) => new ConnectorsError('connector_without_auth', 'invalid', `connector "${name}" identifies its sender by source address only; add --auth to give it credentials`),
};
