import type { ContinuityStatus, Readiness } from './types';
import type { Key } from './i18n';

export type ActionKind = 'activate' | 'end' | 'confirm' | 'endDrill' | 'readiness';

export interface NextAction {
  tone: 'ok' | 'warn' | 'alarm';
  text: Key;
  vars: Record<string, number>;
  /** The one action the dashboard offers most prominently. */
  action: ActionKind | null;
}

/**
 * The dashboard's one answer to "what do I do now", from the status alone:
 * a pure function so that what the admin is told is decided in one place.
 */
export function nextAction(s: ContinuityStatus, r: Readiness | null): NextAction {
  const failing = s.upstreams.filter((u) => u.state === 'failing');
  switch (s.mode) {
    case 'active': {
      const failed = s.texts.failed + s.texts.undelivered;
      if (failed > 0) return { tone: 'alarm', text: 'next.activeTexts', vars: { failed }, action: 'end' };
      return { tone: 'alarm', text: 'next.active', vars: {}, action: 'end' };
    }
    case 'recovering':
      return { tone: 'warn', text: 'next.recovering', vars: { held: s.deliveries.held }, action: null };
    case 'drill':
      return { tone: 'warn', text: 'next.drill', vars: {}, action: 'endDrill' };
    default:
      if (s.activationRequestedAt) return { tone: 'alarm', text: 'next.confirm', vars: {}, action: 'confirm' };
      if (failing.length > 0) {
        const failures = Math.max(...failing.map((u) => u.consecutiveFailures));
        return { tone: 'warn', text: 'next.failing', vars: { failures }, action: 'activate' };
      }
      if (r && !r.ready) {
        const count = [r.domains, r.mobileNumbers, r.texts].filter((x) => x.blocking).reduce((n, x) => n + x.count, 0);
        return { tone: 'ok', text: 'next.setup', vars: { count }, action: 'readiness' };
      }
      return { tone: 'ok', text: 'next.allGood', vars: {}, action: null };
  }
}
