import { CommanderError } from 'commander';
import { TenantsErrors } from '@app/tenants/tenants.errors';
import { MailboxesErrors } from '@app/mailboxes/mailboxes.errors';
import { describeFailure, ExitCode, table } from './cli-output';

describe('describeFailure', () => {
  it('maps directory errors to exit codes by kind, keeping their code', () => {
    expect(describeFailure(TenantsErrors.tenantNotFound('x'))).toMatchObject({ exitCode: ExitCode.notFound, code: 'tenant_not_found' });
    expect(describeFailure(TenantsErrors.domainTaken('a.example'))).toMatchObject({ exitCode: ExitCode.conflict, code: 'domain_taken' });
    expect(describeFailure(TenantsErrors.verificationRecordMissing('a.example', 'v', 0))).toMatchObject({ exitCode: ExitCode.unverified });
    expect(describeFailure(MailboxesErrors.addressOutsideTenant('a@b.example', 'b.example'))).toMatchObject({ exitCode: ExitCode.invalid, code: 'address_outside_tenant' });
  });

  it('says plainly when Postgres is unreachable or not migrated', () => {
    expect(describeFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toMatchObject({ exitCode: ExitCode.unavailable, code: 'database_unavailable' });
    expect(describeFailure(Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {}))).toMatchObject({ code: 'database_unavailable' });
    expect(describeFailure(Object.assign(new Error('relation "tenants" does not exist'), { code: '42P01' }))).toMatchObject({ code: 'schema_missing', message: expect.stringContaining('migrate') });
  });

  it('treats usage errors and anything else distinctly', () => {
    expect(describeFailure(new CommanderError(1, 'commander.missingArgument', "error: missing required argument 'tenant'"))).toEqual({ exitCode: ExitCode.invalid, code: 'usage', message: "missing required argument 'tenant'" });
    expect(describeFailure(new Error('boom'))).toMatchObject({ exitCode: ExitCode.failure, code: 'internal' });
  });
});

describe('table', () => {
  it('pads columns to their widest cell', () => {
    expect(table(['a', 'bb'], [['xxx', 1], [null, 'y']])).toEqual(['a    bb', 'xxx  1', '     y']);
  });
});
