import type { ContinuityMode } from '@app/tenants';
import { ContinuityEvent, ContinuityPolicy, ContinuityState, decide, Decision, effectivePolicy, Evidence, meetsFailureThreshold } from './continuity-state-machine';

const T0 = new Date('2025-11-26T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const clock = (s: number) => ({ now: at(s) });

const policy = (p: Partial<ContinuityPolicy> = {}): ContinuityPolicy => ({
  kind: 'automatic',
  failureThreshold: 4,
  failureWindowSeconds: 120,
  hysteresisSeconds: 600,
  autoSwitchBack: false,
  healthyBeforeSwitchBackSeconds: 900,
  confirmTimeoutSeconds: null,
  ...p,
});
const state = (mode: ContinuityMode, s: Partial<ContinuityState> = {}): ContinuityState => ({ mode, lastAutomaticTransitionAt: null, activationRequestedAt: null, breakerTripped: false, ...s });
const failing = (n: number, firstS: number, lastS: number): Evidence => ({ kind: 'failing', consecutiveFailures: n, firstFailureAt: at(firstS), lastFailureAt: at(lastS) });
const healthy = (sinceS: number): Evidence => ({ kind: 'healthy', since: at(sinceS) });
const ev = (e: Evidence): ContinuityEvent => ({ kind: 'evidence', evidence: e });
const admin = { actor: 'cli:ops', reason: 'Exchange is down' };

function to(d: Decision): ContinuityMode | null {
  return d.kind === 'transition' ? d.transition.to : null;
}

describe('effectivePolicy', () => {
  it('defaults to automatic on premises and to confirm for Exchange Online', () => {
    expect(effectivePolicy(null, 'on-premises')).toBe('automatic');
    expect(effectivePolicy(null, 'exchange-online')).toBe('confirm');
    expect(effectivePolicy('manual', 'exchange-online')).toBe('manual');
    expect(effectivePolicy('automatic', 'exchange-online')).toBe('automatic');
  });
});

describe('meetsFailureThreshold', () => {
  it('needs both the count and the span', () => {
    expect(meetsFailureThreshold(failing(4, 0, 120), policy())).toBe(true);
    expect(meetsFailureThreshold(failing(3, 0, 300), policy())).toBe(false);
    expect(meetsFailureThreshold(failing(10, 0, 119), policy())).toBe(false);
    expect(meetsFailureThreshold(healthy(0), policy())).toBe(false);
  });
});

describe('decide: admin events', () => {
  it('activate: normal, drill and recovering go active; active is refused', () => {
    for (const m of ['normal', 'drill', 'recovering'] as const) {
      const d = decide(state(m), { kind: 'activate', ...admin }, policy(), clock(0));
      expect(d).toMatchObject({ kind: 'transition', transition: { from: m, to: 'active', event: 'activate', actor: 'cli:ops', reason: 'Exchange is down', automatic: false } });
    }
    expect(decide(state('active'), { kind: 'activate', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'already_active' });
  });

  it('admins override hysteresis and the breaker', () => {
    const s = state('normal', { lastAutomaticTransitionAt: at(-1), breakerTripped: true });
    expect(to(decide(s, { kind: 'activate', ...admin }, policy({ kind: 'manual' }), clock(0)))).toBe('active');
  });

  it('confirm activates only when an activation is waiting', () => {
    expect(decide(state('normal'), { kind: 'confirm', ...admin }, policy({ kind: 'confirm' }), clock(0))).toMatchObject({ kind: 'refused', code: 'nothing_to_confirm' });
    const d = decide(state('normal', { activationRequestedAt: at(-30) }), { kind: 'confirm', ...admin }, policy({ kind: 'confirm' }), clock(0));
    expect(d).toMatchObject({ kind: 'transition', transition: { to: 'active', event: 'confirm', automatic: false } });
    expect(decide(state('active', { activationRequestedAt: at(-30) }), { kind: 'confirm', ...admin }, policy(), clock(0)).kind).toBe('refused');
  });

  it('end: active goes recovering; every other mode is refused with its reason', () => {
    expect(decide(state('active'), { kind: 'end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'transition', transition: { from: 'active', to: 'recovering', event: 'end' } });
    expect(decide(state('normal'), { kind: 'end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'not_active' });
    expect(decide(state('drill'), { kind: 'end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'drill_in_progress' });
    expect(decide(state('recovering'), { kind: 'end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'already_recovering' });
  });

  it('drill starts only from normal, with mailboxes (deduplicated), and ends back to normal', () => {
    const d = decide(state('normal'), { kind: 'drill-start', mailboxIds: ['a', 'b', 'a'], ...admin }, policy(), clock(0));
    expect(d).toMatchObject({ kind: 'transition', transition: { to: 'drill', event: 'drill-start', drillMailboxIds: ['a', 'b'] } });
    expect(decide(state('normal'), { kind: 'drill-start', mailboxIds: [], ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'drill_without_mailboxes' });
    for (const m of ['active', 'recovering', 'drill'] as const) {
      expect(decide(state(m), { kind: 'drill-start', mailboxIds: ['a'], ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'not_normal' });
    }
    expect(decide(state('drill'), { kind: 'drill-end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'transition', transition: { from: 'drill', to: 'normal', event: 'drill-end' } });
    expect(decide(state('normal'), { kind: 'drill-end', ...admin }, policy(), clock(0))).toMatchObject({ kind: 'refused', code: 'not_in_drill' });
  });

  it('replay-finished moves recovering to normal, not subject to hysteresis, and is ignored elsewhere', () => {
    const d = decide(state('recovering', { lastAutomaticTransitionAt: at(-1) }), { kind: 'replay-finished' }, policy(), clock(0));
    expect(d).toMatchObject({ kind: 'transition', transition: { to: 'normal', event: 'replay-finished', actor: 'recovery', automatic: false } });
    for (const m of ['normal', 'active', 'drill'] as const) expect(decide(state(m), { kind: 'replay-finished' }, policy(), clock(0)).kind).toBe('none');
  });
});

describe('decide: automatic policy', () => {
  it('activates after N consecutive failures spanning at least T, not before', () => {
    expect(decide(state('normal'), ev(failing(3, 0, 200)), policy(), clock(200)).kind).toBe('none');
    expect(decide(state('normal'), ev(failing(4, 0, 90)), policy(), clock(90)).kind).toBe('none');
    const d = decide(state('normal'), ev(failing(4, 0, 120)), policy(), clock(120));
    expect(d).toMatchObject({ kind: 'transition', transition: { from: 'normal', to: 'active', event: 'upstream-down', actor: 'policy', automatic: true } });
  });

  it('drill → active and recovering → active when the upstream goes down', () => {
    expect(to(decide(state('drill'), ev(failing(4, 0, 120)), policy(), clock(120)))).toBe('active');
    expect(to(decide(state('recovering'), ev(failing(4, 0, 120)), policy(), clock(120)))).toBe('active');
    expect(decide(state('active'), ev(failing(40, 0, 1200)), policy(), clock(1200)).kind).toBe('none');
  });

  it('holds back while the circuit breaker is tripped, and alerts operators', () => {
    const d = decide(state('normal', { breakerTripped: true }), ev(failing(4, 0, 120)), policy(), clock(120));
    expect(d.kind).toBe('none');
    expect(d.kind === 'none' && d.requests).toEqual([expect.objectContaining({ kind: 'alert-operators' })]);
    // Once the breaker closes, the same evidence activates.
    expect(to(decide(state('normal'), ev(failing(4, 0, 120)), policy(), clock(120)))).toBe('active');
  });

  it('keeps at least hysteresis_seconds between automatic transitions', () => {
    const s = state('normal', { lastAutomaticTransitionAt: at(0) });
    expect(decide(s, ev(failing(4, 300, 420)), policy(), clock(599)).kind).toBe('none');
    expect(to(decide(s, ev(failing(4, 480, 600)), policy(), clock(600)))).toBe('active');
  });

  it('a flapping upstream yields at most one activation per hysteresis window', () => {
    // Down/up every 30 s for two hours, probed every 10 s, threshold 2 failures over ≥ 10 s, switch-back after 20 s healthy.
    const p = policy({ failureThreshold: 2, failureWindowSeconds: 10, autoSwitchBack: true, healthyBeforeSwitchBackSeconds: 20, hysteresisSeconds: 600 });
    let s = state('normal');
    let streak: { n: number; first: number } | null = null;
    let healthySince: number | null = 0;
    const activations: number[] = [];
    for (let t = 0; t < 7200; t += 10) {
      const up = Math.floor(t / 30) % 2 === 0;
      if (up) {
        streak = null;
        healthySince ??= t;
      } else {
        healthySince = null;
        streak = streak ? { n: streak.n + 1, first: streak.first } : { n: 1, first: t };
      }
      const e: Evidence = up ? healthy(healthySince as number) : failing((streak as { n: number }).n, (streak as { first: number }).first, t);
      const d = decide(s, ev(e), p, clock(t));
      if (d.kind === 'transition') {
        const tr = d.transition;
        if (tr.to === 'active') activations.push(t);
        s = { ...s, mode: tr.to, lastAutomaticTransitionAt: tr.automatic ? at(t) : s.lastAutomaticTransitionAt };
      }
      // The replay of a recovering tenant finishes at once in this simulation.
      if (s.mode === 'recovering') {
        const r = decide(s, { kind: 'replay-finished' }, p, clock(t));
        if (r.kind === 'transition') s = { ...s, mode: r.transition.to };
      }
    }
    expect(activations.length).toBeGreaterThan(1);
    for (let i = 1; i < activations.length; i++) expect(activations[i] - activations[i - 1]).toBeGreaterThanOrEqual(600);
  });
});

describe('decide: automatic switch-back', () => {
  const p = policy({ autoSwitchBack: true, healthyBeforeSwitchBackSeconds: 900 });

  it('goes recovering after the upstream has been healthy long enough', () => {
    expect(decide(state('active'), ev(healthy(0)), p, clock(899)).kind).toBe('none');
    expect(decide(state('active'), ev(healthy(0)), p, clock(900))).toMatchObject({ kind: 'transition', transition: { to: 'recovering', event: 'upstream-healthy', actor: 'policy', automatic: true } });
  });

  it('is off unless set, and waits for hysteresis', () => {
    expect(decide(state('active'), ev(healthy(0)), policy(), clock(5000)).kind).toBe('none');
    expect(decide(state('active', { lastAutomaticTransitionAt: at(500) }), ev(healthy(0)), p, clock(1000)).kind).toBe('none');
    expect(to(decide(state('active', { lastAutomaticTransitionAt: at(500) }), ev(healthy(0)), p, clock(1100)))).toBe('recovering');
  });

  it('is not held back by the breaker (only activations are)', () => {
    expect(to(decide(state('active', { breakerTripped: true }), ev(healthy(0)), p, clock(900)))).toBe('recovering');
  });
});

describe('decide: confirm policy', () => {
  const p = policy({ kind: 'confirm', confirmTimeoutSeconds: 300 });

  it('asks the admins instead of activating', () => {
    const d = decide(state('normal'), ev(failing(4, 0, 120)), p, clock(120));
    expect(d.kind).toBe('none');
    expect(d.kind === 'none' && d.requests).toEqual([expect.objectContaining({ kind: 'request-confirmation' })]);
  });

  it('does not ask twice, and waits for an admin until the timeout', () => {
    const s = state('normal', { activationRequestedAt: at(120) });
    const d = decide(s, ev(failing(8, 0, 400)), p, clock(400));
    expect(d).toMatchObject({ kind: 'none', requests: [] });
  });

  it('activates after the tenant-set timeout while the upstream is still down', () => {
    const s = state('normal', { activationRequestedAt: at(120) });
    expect(decide(s, ev(failing(12, 0, 420)), p, clock(420))).toMatchObject({ kind: 'transition', transition: { to: 'active', event: 'confirm-timeout', actor: 'policy', automatic: true } });
    expect(decide(s, { kind: 'confirm-timeout', evidence: failing(12, 0, 420) }, p, clock(420))).toMatchObject({ kind: 'transition', transition: { event: 'confirm-timeout' } });
    expect(decide(s, { kind: 'confirm-timeout', evidence: healthy(400) }, p, clock(420)).kind).toBe('none');
  });

  it('waits forever without a timeout', () => {
    const s = state('normal', { activationRequestedAt: at(120) });
    expect(decide(s, ev(failing(1000, 0, 86400)), policy({ kind: 'confirm' }), clock(86400)).kind).toBe('none');
  });

  it('the timeout activation is automatic: the breaker holds it back', () => {
    const s = state('normal', { activationRequestedAt: at(120), breakerTripped: true });
    expect(decide(s, ev(failing(12, 0, 420)), p, clock(420)).kind).toBe('none');
  });

  it('withdraws the pending request when the upstream answers again', () => {
    const d = decide(state('normal', { activationRequestedAt: at(120) }), ev(healthy(130)), p, clock(140));
    expect(d).toMatchObject({ kind: 'none', requests: [{ kind: 'withdraw-confirmation-request' }] });
  });
});

describe('decide: manual policy', () => {
  it('never activates by itself, however long the outage', () => {
    const p = policy({ kind: 'manual', confirmTimeoutSeconds: 1 });
    for (const m of ['normal', 'drill', 'recovering'] as const) {
      const d = decide(state(m), ev(failing(100000, 0, 30 * 86400)), p, clock(30 * 86400));
      expect(d).toMatchObject({ kind: 'none', requests: [] });
    }
  });
});
