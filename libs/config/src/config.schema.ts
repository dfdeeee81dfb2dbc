import { z } from 'zod';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number, def: number) => z.coerce.number().int().min(min).max(max).default(def);

/**
 * One schema for every process. Each key has a default suitable for a single
 * development host; production overrides them through the environment.
 * A value out of range stops the process at start-up with the key named.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/continuity'),
  DATABASE_POOL_SIZE: int(2, 200, 20),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** BullMQ key prefix; a hash tag such as `{mc}` keeps a queue's keys on one Redis Cluster slot. */
  REDIS_PREFIX: z.string().min(1).max(64).default('mc'),

  DATA_DIR: z.string().min(1).default('./.data'),
  BLOB_DRIVER: z.enum(['fs']).default('fs'),
  /** Turning fsync off voids the durability promise; it exists for benchmarks that compare with it. */
  BLOB_FSYNC: bool.default(true),

  MX_HOSTNAME: z.string().min(1).default('mx.continuity.localhost'),
  MX_SMTP_HOST: z.string().default('0.0.0.0'),
  MX_SMTP_PORT: int(0, 65535, 2525),
  MX_HTTP_PORT: int(0, 65535, 9025),
  MX_MAX_MESSAGE_BYTES: int(1024, 1024 * 1024 * 1024, 50 * 1024 * 1024),
  MX_MAX_RECIPIENTS: int(1, 10000, 100),
  MX_MAX_SESSIONS_PER_IP: int(1, 10000, 50),
  MX_MAX_SESSIONS: int(1, 100000, 1000),
  MX_SOCKET_TIMEOUT_MS: int(1000, 3600_000, 300_000),
  MX_CALLOUT_TIMEOUT_MS: int(500, 120_000, 15_000),
  MX_TLS_CERT_FILE: z.string().optional(),
  MX_TLS_KEY_FILE: z.string().optional(),
  /** Smarthost: a failed SMTP AUTH is answered only after this delay (guessing gets slow). */
  MX_AUTH_FAILURE_DELAY_MS: int(0, 60_000, 1000),
  /** Smarthost: failed AUTH attempts per client address within 15 minutes before AUTH is refused outright. */
  MX_AUTH_MAX_FAILURES: int(1, 10_000, 10),
  /** Domain of the tenants' journaling addresses (journal+<slug>@JOURNAL_DOMAIN); empty: MX_HOSTNAME. */
  JOURNAL_DOMAIN: z.string().optional(),
  /** The SPF include tenants publish (`include:<this>`), shown with their DNS records; empty: _spf.MX_HOSTNAME. */
  SPF_INCLUDE_DOMAIN: z.string().optional(),

  WORKER_HTTP_PORT: int(0, 65535, 9026),
  WORKER_CONCURRENCY: int(1, 1000, 32),
  INDEX_CONCURRENCY: int(1, 100, 4),
  DELIVERY_LEASE_SECONDS: int(10, 86400, 300),
  SWEEP_INTERVAL_MS: int(100, 600_000, 5000),
  RETRY_BASE_SECONDS: int(1, 86400, 60),
  RETRY_MAX_SECONDS: int(1, 7 * 86400, 3600),
  SMTP_CONNECT_TIMEOUT_MS: int(500, 300_000, 30_000),
  SMTP_COMMAND_TIMEOUT_MS: int(500, 900_000, 300_000),
  /** `domain=host:port,domain2=host:port` — overrides MX lookup; `*` matches every domain. */
  STATIC_ROUTES: z.string().default(''),
  /** DNS servers for every lookup of the service (`ip` or `ip:port`, comma separated); empty = the system's. */
  DNS_SERVERS: z.string().default(''),

  RETENTION_INTERVAL_MS: int(1000, 86400_000, 3600_000),
  BLOB_GRACE_SECONDS: int(0, 30 * 86400, 86400),
  ORPHAN_BLOB_AGE_SECONDS: int(60, 30 * 86400, 86400),
  /** Mirror entries (a) and unreferenced messages (b) are deleted this many rows per statement, so a big tenant never holds locks for long. */
  RETENTION_BATCH_SIZE: int(10, 100_000, 1000),
  /** A message whose parse takes longer is marked unparseable (kept raw) instead of occupying an index worker. */
  INDEX_TIMEOUT_MS: int(1000, 600_000, 60_000),
  /** Larger messages get only their headers indexed: MailParser keeps text parts in memory. */
  INDEX_MAX_PARSE_BYTES: int(1024, 1024 * 1024 * 1024, 64 * 1024 * 1024),

  // --- credentials by SMS (libs/sms, libs/credentials, apps/api, apps/webmail)
  API_HTTP_PORT: int(0, 65535, 9027),
  WEBMAIL_HTTP_PORT: int(0, 65535, 9028),
  /** Public base URLs as the outside world reaches them: Twilio's status callbacks and the sign-in links in texts. */
  PUBLIC_API_URL: z.string().url().default('http://localhost:9027'),
  PUBLIC_WEBMAIL_URL: z.string().url().default('http://localhost:9028'),
  /**
   * Which proxies in front of apps/api and apps/webmail are trusted to name the client in
   * X-Forwarded-For (Express 'trust proxy'): per-address sign-in limits and the audit log
   * need the real client, not the TLS proxy. 'loopback' for a proxy on the same host;
   * a comma-separated list of addresses or CIDRs otherwise.
   */
  TRUST_PROXY: z.string().min(1).default('loopback'),
  /** Largest JSON body apps/api and apps/webmail read (a webmail draft quoting a long message). */
  HTTP_JSON_LIMIT_BYTES: int(100 * 1024, 64 * 1024 * 1024, 4 * 1024 * 1024),
  /** `outbox` records texts under DATA_DIR for the demo (refused in production); `twilio` sends them. */
  SMS_DRIVER: z.enum(['outbox', 'twilio']).default('outbox'),
  TWILIO_ACCOUNT_SID: z.string().optional(),
  TWILIO_AUTH_TOKEN: z.string().optional(),
  TWILIO_FROM: z.string().optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
  /** A Twilio-compatible API (the stand-in in tests); the SDK itself has no such option. */
  TWILIO_BASE_URL: z.string().url().default('https://api.twilio.com'),
  /** Keys the HMACs of one-time codes and link tokens; required outside development and test. */
  CREDENTIAL_HMAC_SECRET: z.string().min(32).optional(),
  /** Fractions allowed (0.01 = 36 s) so tests can watch a credential expire. */
  CREDENTIAL_LIFETIME_HOURS: z.coerce.number().min(0.0005).max(168).default(8),
  CREDENTIAL_MAX_ATTEMPTS: int(1, 20, 5),
  /** Texts per tenant per hour (admin alerts excepted); over it rows are marked capped and admins alerted once. */
  SMS_TENANT_CAP_PER_HOUR: int(1, 10_000_000, 20_000),
  /** What the sender sustains (a long code about 1, a Messaging Service pool or short code more); for the delivery ETA. */
  SMS_SENDER_SEGMENTS_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(1),
  SMS_CONCURRENCY: int(1, 500, 8),
  SMS_RETRY_BASE_SECONDS: int(1, 3600, 30),
  SMS_MAX_SEND_ATTEMPTS: int(1, 50, 8),
  SIGNIN_REQUESTS_PER_ADDRESS_PER_HOUR: int(1, 1000, 3),
  SIGNIN_REQUESTS_PER_IP_PER_HOUR: int(1, 100_000, 30),
  // --- webmail employee sign-in and sessions (apps/webmail/src/session)
  /** A webmail session ends after this long without requests... */
  WEBMAIL_SESSION_IDLE_MINUTES: int(1, 10_080, 60),
  /** ...and at the latest this long after sign-in. */
  WEBMAIL_SESSION_MAX_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12),
  /** Code and password sign-in attempts per client address per hour (more get 429); high, since a whole office may sign in from one NAT address. */
  WEBMAIL_SIGNIN_ATTEMPTS_PER_IP_PER_HOUR: int(1, 1_000_000, 1000),
  /** Code and password sign-in attempts per e-mail address per hour, known or not (more get 429). */
  WEBMAIL_SIGNIN_ATTEMPTS_PER_ADDRESS_PER_HOUR: int(1, 100_000, 30),
  /** Wrong passwords in a row before the account locks for a minute (doubling with each further failure, at most an hour). */
  WEBMAIL_LOCKOUT_AFTER_FAILURES: int(1, 100, 5),
  /** How long a tenant's webmail access (mode, drill mailboxes, practice setting) is cached per process. */
  WEBMAIL_ACCESS_CACHE_MS: int(0, 600_000, 5000),
  // --- admin API sign-in (apps/api/src/auth)
  /** Admin sign-in attempts per client address per 15 minutes (more get 429); failures per account are capped at 5 per 15 minutes. */
  ADMIN_LOGIN_ATTEMPTS_PER_IP: int(1, 1_000_000, 30),
  /** Changes (non-GET requests) one admin session or API key may make per minute (more get 429). */
  ADMIN_MUTATIONS_PER_MINUTE: int(1, 1_000_000, 120),
  /** An admin session ends this long after sign-in, and after an hour without requests. */
  ADMIN_SESSION_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12),
  /** Sender of notification mail (admin announcements, credentials to alternate addresses); default no-reply@MX_HOSTNAME. */
  NOTIFICATION_FROM: z.string().email().optional(),

  // --- webmail compose and sending (apps/webmail/src/compose)
  /** Largest single attachment an employee may upload to a draft (more get 413). */
  WEBMAIL_MAX_ATTACHMENT_BYTES: int(1024, 1024 * 1024 * 1024, 20 * 1024 * 1024),
  /** Largest message the webmail sends, attachments included, before MIME encoding (base64 adds a third). */
  WEBMAIL_MAX_MESSAGE_BYTES: int(1024, 1024 * 1024 * 1024, 30 * 1024 * 1024),
  /** Recipients (to + cc + bcc) of one message sent from the webmail. */
  WEBMAIL_MAX_RECIPIENTS: int(1, 10_000, 100),
  /** Messages one employee may send from the webmail per minute (a stolen password must not become a spam cannon). */
  WEBMAIL_SENDS_PER_MINUTE: int(1, 10_000, 10),
  /** Recipients one employee may address from the webmail per minute, summed over messages. */
  WEBMAIL_RECIPIENTS_PER_MINUTE: int(1, 100_000, 200),
  /** Address-completion lookups per employee per minute. */
  WEBMAIL_DIRECTORY_LOOKUPS_PER_MINUTE: int(1, 100_000, 120),

  // --- replay of held mail after continuity mode (libs/continuity/src/recovery)
  /** Messages per second released to one tenant's upstream during replay, so a recovering Exchange is not flooded. */
  REPLAY_RATE_PER_UPSTREAM: z.coerce.number().min(0.1).max(100_000).default(20),
  /** How often each worker looks for tenants whose held mail is due for release. */
  REPLAY_TICK_MS: int(50, 60_000, 500),
  /** Held rows changed per statement (holding on activation, releasing during replay). */
  REPLAY_BATCH_SIZE: int(1, 100_000, 1000),

  // --- outbound to the internet, DKIM and inbound authentication (libs/delivery, libs/dkim, libs/mail-auth)
  /** Connections this worker opens at once to one destination host; rate-limit replies lower it for a while. */
  DELIVERY_MAX_PER_DESTINATION: int(1, 1000, 10),
  /** Retry delay after a greylisting reply (451 4.7.1), instead of the exponential backoff. */
  GREYLIST_RETRY_SECONDS: int(1, 86400, 300),
  /** After a rate-limit reply (421 4.7.0, 450 4.7.1) a destination gets one connection at a time, and retries wait at least this long. */
  DESTINATION_SLOWDOWN_SECONDS: int(1, 86400, 600),
  /** Port of MX hosts; 25 on the internet, another one in laboratories and tests. */
  INTERNET_SMTP_PORT: int(1, 65535, 25),
  /** Honour MTA-STS policies (RFC 8461) of destination domains. */
  MTA_STS_ENABLED: bool.default(true),
  /** AES-256-GCM key for DKIM private keys at rest: 32 bytes as base64 or hex; required outside development and test. */
  DKIM_KEY_ENCRYPTION_KEY: z.string().regex(/^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=)$/, 'expected 32 bytes as 64 hex digits or base64').optional(),
  /** How long a replaced DKIM key stays published (retiring) after its successor became active. */
  DKIM_ROTATION_OVERLAP_SECONDS: int(0, 365 * 86400, 7 * 86400),
  /** How often the worker looks in DNS for pending DKIM keys and retires old ones. */
  DKIM_CHECK_INTERVAL_MS: int(1000, 86400_000, 3600_000),
  /** Inbound SPF/DKIM/DMARC/ARC verification gives up after this long and records temperror. */
  AUTH_VERIFY_TIMEOUT_MS: int(100, 120_000, 10_000),

  // --- continuity detection (libs/continuity): tenants set their own probe interval, thresholds and hysteresis
  /** How often each worker looks for upstreams due for a probe (the per-tenant interval decides which are due). */
  PROBE_TICK_MS: int(50, 60_000, 1000),
  /** Connect, greeting, EHLO, STARTTLS and the optional canary RCPT must all finish within this. */
  PROBE_TIMEOUT_MS: int(200, 120_000, 10_000),
  /** Probes one worker runs at once. */
  PROBE_CONCURRENCY: int(1, 1000, 32),
  /** Circuit breaker: trip when more than this share of the tenants with upstreams fail at once… */
  BREAKER_FAILING_SHARE: z.coerce.number().min(0).max(1).default(0.5),
  /** …and at least this many tenants do. */
  BREAKER_MIN_FAILING_TENANTS: int(1, 1_000_000, 3),
  /** Upstream observations (probe and delivery evidence) are kept this long for the status view. */
  OBSERVATION_RETENTION_HOURS: int(1, 24 * 365, 168),

  SHUTDOWN_GRACE_MS: int(0, 600_000, 30_000),
});

export type AppConfig = z.infer<typeof configSchema>;
