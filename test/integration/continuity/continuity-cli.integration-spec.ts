import { run } from '../../../apps/cli/src/main';
import { createTestTenant, withDb } from '../../support/factories';

/** The continuity commands, run in-process against this run's database (as `npm run cli -- continuity …`). */
describe('continuity CLI commands', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
    try {
      const code = await run(['node', 'cli', ...args]);
      return { code, stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  }

  async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
    const r = await cli(['--json', ...args]);
    if (r.code !== 0) throw new Error(`continuity ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  afterAll(async () => {
    await withDb((db) => db.query(`UPDATE continuity_circuit_breaker SET override = 'auto', reason = ''`));
  });

  it('settings, admins, activate, status, history, end, and refusals with their exit codes', async () => {
    const t = await createTestTenant({ mailboxes: ['ann'] });

    const s = await json<{ policy: { kind: string; confirmTimeoutSeconds: number }; probeIntervalSeconds: number }>(['continuity', 'settings', t.slug, '--policy', 'confirm', '--probe-interval', '10s', '--confirm-timeout', '5m', '--canary', 'Probe@' + t.domain]);
    expect(s.policy).toMatchObject({ kind: 'confirm', confirmTimeoutSeconds: 300 });
    expect(s.probeIntervalSeconds).toBe(10);
    expect((await cli(['continuity', 'settings', t.slug, '--failure-threshold', '0'])).code).toBe(2);
    // regression: 'none' was turned into '' by the option parser and always refused
    const cleared = await json<{ policy: { confirmTimeoutSeconds: number | null }; canaryAddress: string | null }>(['continuity', 'settings', t.slug, '--confirm-timeout', 'none', '--canary', 'none']);
    expect(cleared.policy.confirmTimeoutSeconds).toBeNull();
    expect(cleared.canaryAddress).toBeNull();

    const admin = await json<{ name: string; mobileE164: string; language: string }>(['continuity', 'admin', 'add', t.slug, '--name', 'Anna Admin', '--mobile', '+49 170 1234567', '--email', 'Anna@Elsewhere.example', '--language', 'de']);
    expect(admin).toMatchObject({ name: 'Anna Admin', mobileE164: '+491701234567', language: 'de' });
    expect((await cli(['continuity', 'admin', 'add', t.slug, '--name', 'Nobody'])).code).toBe(2);
    const admins = await json<Array<{ email: string }>>(['continuity', 'admin', 'list', t.slug]);
    expect(admins.map((a) => a.email)).toEqual(['anna@elsewhere.example']);

    const activated = await json<{ fromMode: string; toMode: string; actor: string }>(['continuity', 'activate', t.slug, '--reason', 'Exchange is down', '--actor', 'cli:test']);
    expect(activated).toMatchObject({ fromMode: 'normal', toMode: 'active', actor: 'cli:test' });
    const again = await cli(['continuity', 'activate', t.slug, '--reason', 'twice']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/already in continuity mode/);

    const status = await cli(['continuity', 'status', t.slug]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/ACTIVE/);
    expect(status.stdout).toMatch(/policy confirm/);

    await json(['continuity', 'end', t.slug, '--reason', 'Exchange is back']);
    expect((await cli(['continuity', 'drill', 'start', t.slug, '--mailbox', t.mailboxes.ann.address, '--reason', 'rehearsal'])).code).toBe(4);
    const history = await json<Array<{ event: string }>>(['continuity', 'history', t.slug]);
    expect(history.map((h) => h.event)).toEqual(['end', 'activate']);
  });

  it('drill start and end for chosen mailboxes', async () => {
    const t = await createTestTenant({ mailboxes: ['ann', 'bob'] });
    const d = await json<{ toMode: string; drillMailboxIds: string[] }>(['continuity', 'drill', 'start', t.slug, '--mailbox', `${t.mailboxes.ann.address},${t.mailboxes.bob.id}`, '--reason', 'rehearsal']);
    expect(d.toMode).toBe('drill');
    expect(d.drillMailboxIds.sort()).toEqual([t.mailboxes.ann.id, t.mailboxes.bob.id].sort());
    expect((await cli(['continuity', 'drill', 'start', 'no-such-tenant-x', '--mailbox', 'x@y.example', '--reason', 'r'])).code).toBe(3);
    const e = await json<{ toMode: string }>(['continuity', 'drill', 'end', t.slug]);
    expect(e.toMode).toBe('normal');
  });

  it('breaker status and override', async () => {
    const forced = await json<{ override: string }>(['continuity', 'breaker', 'override', 'force-open', '--reason', 'DNS trouble on our side']);
    expect(forced.override).toBe('force-open');
    const st = await json<{ tripped: boolean; reason: string }>(['continuity', 'breaker', 'status']);
    expect(st).toMatchObject({ tripped: true, reason: 'DNS trouble on our side' });
    await json(['continuity', 'breaker', 'override', 'auto', '--reason', 'resolved']);
    expect((await cli(['continuity', 'breaker', 'override', 'sideways', '--reason', 'x'])).code).toBe(2);
  });
});
