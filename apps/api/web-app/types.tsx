/** The parts of the admin API's answers the console reads. */

export type Mode = 'normal' | 'active' | 'recovering' | 'drill';
export type Role = 'operator' | 'admin' | 'viewer';

export interface SessionView {
  user: { id: string; email: string | null; name: string; role: Role; tenantId: string | null };
  mfa: 'passed' | 'pending' | 'enrol';
  csrfToken: string | null;
}

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  mode: Mode;
  language: 'en' | 'de';
}

export interface UpstreamHealth {
  id: string;
  host: string;
  port: number;
  state: 'healthy' | 'failing' | 'unknown';
  consecutiveFailures: number;
  healthySince: string | null;
  firstFailureAt: string | null;
  lastProbedAt: string | null;
  lastDetail: string | null;
}

export interface Texts {
  since: string;
  queued: number;
  sending: number;
  sent: number;
  delivered: number;
  failed: number;
  undelivered: number;
  capped: number;
  remaining: number;
  estimatedSecondsUntilAllSent: number | null;
  blockedByCap: number;
}

export interface Transition {
  id: string;
  fromMode: Mode;
  toMode: Mode;
  event: string;
  actor: string;
  reason: string | null;
  createdAt: string;
}

export interface ContinuityStatus {
  tenantId: string;
  mode: Mode;
  modeSince: string | null;
  activationRequestedAt: string | null;
  policy: { kind: string; upstreamKind: string; autoSwitchBack: boolean };
  evidence: null | { kind: 'healthy'; since: string } | { kind: 'failing'; consecutiveFailures: number; firstFailureAt: string; lastFailureAt: string };
  upstreams: UpstreamHealth[];
  breaker: { tripped: boolean; state: string; override: string };
  deliveries: { held: number; pending: number; deferred: number };
  texts: Texts;
  event: null | { id: string; startedAt: string; recoveryStartedAt: string | null; replayFinishedAt: string | null; endedAt: string | null; releasedMessages: number; copiedBackMessages: number };
  recentTransitions: Transition[];
}

export interface EventSummary {
  id: string;
  startedAt: string;
  recoveryStartedAt: string | null;
  endedAt: string | null;
  reportStored: boolean;
}

export interface ReconciliationReport {
  eventId: string;
  startedAt: string;
  endedAt: string | null;
  generatedAt: string;
  allAccountedFor: boolean;
  allDelivered: boolean;
  totals: { receivedDuringEvent: number; replayed: number; duplicatesSuppressed: number; failed: number; sentDuringEvent: number; copiedBack: number; pending: number };
  mailboxes: Array<{ mailbox: string; receivedDuringEvent: number; replayed: number; failed: number; sentDuringEvent: number; copiedBack: number; pending: number }>;
}

export interface Readiness {
  ready: boolean;
  checkedAt: string;
  domains: { count: number; blocking: boolean; items: Array<{ id: string; name: string; verified: boolean; problems: string[] }> };
  mobileNumbers: { count: number; total: number; blocking: boolean; items: Array<{ id: string; address: string; displayName: string }> };
  texts: { count: number; blocking: boolean; items: Array<{ id: string; address: string; state: string; lastError: string | null; at: string }> };
  webmailSignIn: { available: boolean; count: number; total: number; items: Array<{ id: string; address: string; displayName: string }> };
}

export interface Mailbox {
  id: string;
  address: string;
  displayName: string;
  mobile: string | null;
  alternateEmail: string | null;
  status: 'active' | 'disabled';
  kind: 'user' | 'shared';
}

export interface ImportReport {
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  errorCount: number;
  errors: Array<{ row: number; code: string; reason: string }>;
  warnings: Array<{ row: number; message: string }>;
}

export interface AuditItem {
  at: string;
  source: 'continuity' | 'admin';
  action: string;
  actor: string;
  target: string | null;
  reason: string | null;
}

export interface QueueItem {
  id: string;
  state: string;
  recipient: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastReply: string | null;
  message: { mailFrom: string; subject: string | null; receivedAt: string; sizeBytes: number };
}

export interface Settings {
  continuity: { upstreamKind: string; policy: string | null; effectivePolicy: string; autoSwitchBack: boolean; probeIntervalSeconds: number; failureThreshold: number };
  rollingWindowDays: number;
  unknownRecipientPolicy: string;
  rejectOnDmarcFail: boolean;
  language: 'en' | 'de';
  sms: { sender: string | null; capPerHour: number | null; effectiveCapPerHour: number };
}
