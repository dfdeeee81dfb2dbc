import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { CliContext } from './cli-context';
import { describeFailure, ExitCode, Output } from './cli-output';
import { registerCommands } from './directory-commands';
import { registerDkimCommands } from './dkim-commands';
import { registerRecoveryCommands } from './recovery-commands';
import { registerCredentialsCommands } from './credentials-commands';
import { registerContinuityCommands } from './continuity-commands';
import { registerConnectorCommands } from './connector-commands';
import { registerAdminCommands } from './admin-commands';

/**
 * Operator CLI: provisions tenants, domains, upstreams and the directory
 * until the admin API exists, and stays as an operator tool afterwards.
 *   npm run cli -- --help
 */
export async function run(argv: string[]): Promise<number> {
  const ctx = new CliContext();
  const program = new Command('continuity')
    .description('Operator tool of the e-mail continuity service (DATABASE_URL selects the database)')
    .option('--json', 'print results (and errors, on stderr) as JSON')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  let exitCode: number = ExitCode.ok;
  registerCommands(program, ctx, (code) => (exitCode = code));
  registerDkimCommands(program);
  registerRecoveryCommands(program);
  registerCredentialsCommands(program);
  registerContinuityCommands(program);
  registerConnectorCommands(program);
  registerAdminCommands(program);
  const out = new Output(argv.includes('--json'));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    // --help and --version "fail" with a zero exit code by commander's design.
    if (e instanceof CommanderError && e.exitCode === 0) return ExitCode.ok;
    // commander has already printed its own usage message.
    if (e instanceof CommanderError) return ExitCode.invalid;
    out.failure(describeFailure(e));
    return describeFailure(e).exitCode;
  } finally {
    await ctx.close();
  }
}

if (require.main === module) {
  run(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`error: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = ExitCode.failure;
    },
  );
}
