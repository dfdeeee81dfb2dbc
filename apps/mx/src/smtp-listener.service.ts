import { Inject, Injectable } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerAddress, SMTPServerAuthentication, SMTPServerAuthenticationResponse, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, blobKey } from '@app/blob-store';
import { AcceptMessageInput, AcceptedMessage, buildReceivedHeader, MessageAcceptance, newQueueId } from '@app/messages';
import { LOGGER, Logger, Metrics } from '@app/observability';
import { SmtpReplies, SmtpReplyError } from '@app/smtp';
import { DomainTenant, RecipientDirectory } from '@app/mailboxes';
import { canonicalClientAddress, ConnectorDirectory, journalSlugOf, OUTBOUND_LIMITER, OutboundLimiter, SmarthostConnector } from '@app/outbound';
import { normalizeDomainName } from '@app/tenants/domain-verification';
import { TLS_MATERIAL, TlsMaterial } from './tls-material';
import { SessionLimiter } from './session-limiter';
import { checkRecipientCount, checkSender, checkSessionsPerIp, parseRecipient, RecipientAddress, Refusal, RejectReason } from './recipient-policy';
import { AcceptedRecipient, RecipientResolver } from './recipient-resolver.service';
import { commitAll, discardAll, IngestTarget, streamIntoBlobs } from './message-ingest';
import { authFailed, checkConnectorTls, checkJournalRecipient, chooseSmarthost, journalAlone, mustStartTls, rateRefusal, routeKindFor, tooManyAuthFailures } from './smarthost-policy';
import { JournalIngest } from './journal-ingest.service';
import { InboundAuthentication, MailAuthenticator } from '@app/mail-auth';

/** What we keep per SMTP session beside smtp-server's own session object. */
interface SessionState {
  /** Recipients accepted in the current transaction, by lower-case key. */
  recipients: Map<string, AcceptedRecipient>;
  /** DATA is being received or recorded: shutdown waits for it. */
  inData: boolean;
  /** Connectors whose source networks cover the client address; looked up at the first MAIL FROM. */
  addressConnectors: SmarthostConnector[] | null;
  /** The connector the session authenticated as (SMTP AUTH after STARTTLS). */
  authConnector: SmarthostConnector | null;
  /** Set at MAIL FROM when this transaction is relayed for a tenant (smarthost); null for inbound mail. */
  outbound: OutboundTransaction | null;
}

interface OutboundTransaction {
  connector: SmarthostConnector;
  via: 'auth' | 'address';
  /** The connector's tenant, in the shape acceptance takes. */
  tenant: DomainTenant;
  /** The sender's own standby mailbox (a mailbox or an alias of one), for the Sent entry. */
  senderMailboxIds: string[];
  /** The transaction carries a journal report to our journaling address. */
  journal: boolean;
}

const shuttingDown = () => new SmtpReplyError(421, '4.3.2', 'Service shutting down; try again later');

/**
 * The MX's SMTP side on smtp-server: recipient policy at RCPT, DATA streamed
 * into the blob store (one blob per tenant of the transaction), recorded in
 * Postgres, and only then 250. Every refusal carries its enhanced status code
 * in the text (smtp-server's own enhanced codes are left off).
 */
@Injectable()
export class SmtpListener {
  private server: SMTPServer | null = null;
  private readonly sessions = new WeakMap<SMTPServerSession, SessionState>();
  private readonly limiter: SessionLimiter;
  private readonly announcing = new Set<Promise<void>>();
  private draining = false;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: AppConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(TLS_MATERIAL) private readonly tls: TlsMaterial,
    private readonly metrics: Metrics,
    private readonly resolver: RecipientResolver,
    private readonly acceptance: MessageAcceptance,
    private readonly directory: RecipientDirectory,
    private readonly connectors: ConnectorDirectory,
    @Inject(OUTBOUND_LIMITER) private readonly outboundLimits: OutboundLimiter,
    private readonly journal: JournalIngest,
    private readonly authenticator: MailAuthenticator,
  ) {
    this.limiter = new SessionLimiter(cfg.MX_MAX_SESSIONS_PER_IP);
    this.journalDomain = (cfg.JOURNAL_DOMAIN || cfg.MX_HOSTNAME).toLowerCase();
  }

  private readonly journalDomain: string;

  /** Open sessions from one address (for tests and the operator). */
  sessionsFrom(ip: string): number {
    return this.limiter.openFrom(ip);
  }

  async start(): Promise<number> {
    const server = new SMTPServer({
      name: this.cfg.MX_HOSTNAME,
      key: this.tls.key,
      cert: this.tls.cert,
      size: this.cfg.MX_MAX_MESSAGE_BYTES,
      // We decide about oversize ourselves (552 5.3.4 after reading to the end).
      rejectOversized: false,
      maxClients: this.cfg.MX_MAX_SESSIONS,
      socketTimeout: this.cfg.MX_SOCKET_TIMEOUT_MS,
      closeTimeout: Math.max(1, this.cfg.SHUTDOWN_GRACE_MS),
      // AUTH is for tenants' connectors relaying through us (smarthost); everyone else sends unauthenticated,
      // and with authOptional smtp-server's unauthenticated-command limit does not apply to them. AUTH
      // before STARTTLS is refused in onAuth with 530 5.7.0 (smtp-server's own refusal would be a 538).
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: true,
      allowInsecureAuth: true,
      // A PTR lookup costs up to 1.5 s per connection; the Received header records the address literal instead.
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: true,
      logger: false,
      onConnect: (session, cb) => this.onConnect(session, cb),
      onAuth: (auth, session, cb) => this.onAuth(auth, session, cb),
      onMailFrom: (address, session, cb) => this.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => this.onRcptTo(address, session, cb),
      onData: (stream, session, cb) => this.onData(stream, session, cb),
      onClose: (session) => this.onClose(session),
    });
    server.on('error', (err: Error & { remoteAddress?: string }) => this.log.warn({ err: err.message, client: err.remoteAddress }, 'smtp connection error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.cfg.MX_SMTP_PORT, this.cfg.MX_SMTP_HOST, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    return (server.server.address() as AddressInfo).port;
  }

  /**
   * Graceful stop: no new connections, idle sessions are told 421 and closed,
   * transactions in flight finish (bounded by graceMs), then the queue
   * announcements still running are awaited.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    const deadline = Date.now() + graceMs;
    for (;;) {
      for (const conn of [...server.connections]) {
        if (!this.busy(conn.session)) {
          conn.send(421, shuttingDown().message);
          conn.close();
        }
      }
      if (server.connections.size === 0 || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const conn of [...server.connections]) {
      this.log.warn({ client: conn.session.remoteAddress }, 'closing a session still in a transaction at the end of the shutdown grace period');
      conn.send(421, shuttingDown().message);
      conn.close();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    await Promise.allSettled([...this.announcing]);
  }

  private busy(session: SMTPServerSession | undefined): boolean {
    if (!session) return false;
    return !!this.sessions.get(session)?.inData || !!session.envelope?.mailFrom;
  }

  private state(session: SMTPServerSession): SessionState {
    let s = this.sessions.get(session);
    if (!s) {
      s = { recipients: new Map(), inData: false, addressConnectors: null, authConnector: null, outbound: null };
      this.sessions.set(session, s);
    }
    return s;
  }

  private refuse(refusal: Refusal, session: SMTPServerSession, extra: Record<string, unknown> = {}): SmtpReplyError {
    this.metrics.rejected.inc({ reason: refusal.reason });
    this.log.info({ session: session.id, client: session.remoteAddress, reason: refusal.reason, check: refusal.check, reply: refusal.reply.toString(), ...extra }, 'refused');
    return refusal.reply;
  }

  private temporary(reason: RejectReason, session: SMTPServerSession, err: unknown, extra: Record<string, unknown> = {}): SmtpReplyError {
    this.metrics.rejected.inc({ reason });
    this.log.error({ session: session.id, client: session.remoteAddress, reason, err: err instanceof Error ? err.message : String(err), ...extra }, 'temporary failure');
    return SmtpReplies.temporaryFailure();
  }

  private onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (this.draining) return cb(shuttingDown());
    if (!this.limiter.tryAdmit(session.id, session.remoteAddress)) {
      const refusal = checkSessionsPerIp(this.limiter.openFrom(session.remoteAddress), this.cfg.MX_MAX_SESSIONS_PER_IP);
      return cb(refusal ? this.refuse(refusal, session) : SmtpReplies.tooManySessions());
    }
    this.metrics.smtpSessions.inc();
    cb();
  }

  private onClose(session: SMTPServerSession): void {
    if (this.limiter.release(session.id)) this.metrics.smtpSessions.dec();
  }

  /**
   * SMTP AUTH identifies a tenant's connector. Only over TLS; a failure is
   * answered late and counted per client address, so guessing is slow.
   */
  private onAuth(auth: SMTPServerAuthentication, session: SMTPServerSession, cb: (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void): void {
    if (!session.secure) return cb(this.refuse({ reason: 'tls_required', check: 'auth_requires_tls', reply: mustStartTls() }, session));
    const client = canonicalClientAddress(session.remoteAddress) ?? String(session.remoteAddress);
    const username = auth.username ?? '';
    (async () => {
      if ((await this.outboundLimits.authFailures(client)) >= this.cfg.MX_AUTH_MAX_FAILURES) {
        return cb(this.refuse({ reason: 'auth_failed', check: 'auth_failures_per_ip', reply: tooManyAuthFailures() }, session, { user: username }));
      }
      const connector = await this.connectors.authenticate(username, auth.password ?? '');
      if (!connector) {
        const failures = await this.outboundLimits.recordAuthFailure(client);
        await new Promise((r) => setTimeout(r, this.cfg.MX_AUTH_FAILURE_DELAY_MS));
        return cb(this.refuse({ reason: 'auth_failed', check: 'auth_credentials', reply: authFailed() }, session, { user: username, failures }));
      }
      this.state(session).authConnector = connector;
      this.log.info({ session: session.id, client: session.remoteAddress, tenantId: connector.tenantId, connector: connector.name, method: auth.method }, 'authenticated as outbound connector');
      cb(null, { user: connector.id });
    })().catch((err: unknown) => {
      this.log.error({ session: session.id, client: session.remoteAddress, err: err instanceof Error ? err.message : String(err) }, 'authentication could not be checked');
      cb(new SmtpReplyError(454, '4.7.0', 'Temporary authentication failure; try again later'));
    });
  }

  private onMailFrom(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (this.draining) return cb(shuttingDown());
    const s = this.state(session);
    s.recipients.clear(); // a new transaction (also after RSET or a second EHLO)
    s.outbound = null;
    const refusal = checkSender(address.address);
    if (refusal) return cb(this.refuse(refusal, session));
    this.decideOutbound(address.address, session, s).then(
      (err) => cb(err),
      (err) => cb(this.temporary('temporary_failure', session, err, { stage: 'mail', from: address.address })),
    );
  }

  /**
   * Is this transaction relayed for a tenant (smarthost) or ordinary inbound
   * mail? Resolves with a refusal, or null to go on; sets `s.outbound`.
   */
  private async decideOutbound(mailFrom: string, session: SMTPServerSession, s: SessionState): Promise<SmtpReplyError | null> {
    s.addressConnectors ??= await this.connectors.forClientAddress(session.remoteAddress);
    if (!s.authConnector && !s.addressConnectors.length) return null; // the common case: the internet sending to our tenants
    const nullSender = mailFrom === '';
    const at = mailFrom.lastIndexOf('@');
    const domain = nullSender ? null : normalizeDomainName(mailFrom.slice(at + 1));
    const senderTenant = domain?.ok ? await this.directory.verifiedTenantForDomain(domain.name) : null;
    const choice = chooseSmarthost({ authConnector: s.authConnector, addressConnectors: s.addressConnectors, senderTenantId: senderTenant?.tenantId ?? null, nullSender, secure: !!session.secure });
    const ctx = { from: mailFrom, connector: s.authConnector?.name };
    if (choice.kind === 'inbound') return null;
    if (choice.kind === 'refuse') return this.refuse(choice.refusal, session, ctx);
    const c = choice.connector;
    if (choice.overriddenAddressMatch.length) {
      this.log.info(
        { session: session.id, client: session.remoteAddress, connector: c.name, tenantId: c.tenantId, addressMatches: choice.overriddenAddressMatch.map((o) => ({ connector: o.name, tenantId: o.tenantId })) },
        'session from the address of another connector authenticated as this one; the authenticated identity wins',
      );
    }
    const tls = checkConnectorTls(c, !!session.secure);
    if (tls) return this.refuse(tls, session, { ...ctx, connector: c.name });
    if (!(await this.outboundLimits.take(`${c.tenantId}:messages`, c.messagesPerMinute))) return this.refuse(rateRefusal('messages'), session, { ...ctx, connector: c.name, tenantId: c.tenantId });
    const sender = !nullSender && domain?.ok ? await this.directory.findRecipient(c.tenantId, `${mailFrom.slice(0, at).toLowerCase()}@${domain.name}`) : null;
    s.outbound = {
      connector: c,
      via: choice.via,
      tenant: { tenantId: c.tenantId, domain: domain?.ok ? domain.name : '', unknownRecipientPolicy: 'reject', deliveryLifetimeSeconds: Number(c.deliveryLifetimeSeconds) },
      senderMailboxIds: sender && sender.kind !== 'group' ? sender.mailboxIds : [],
      journal: false,
    };
    return null;
  }

  private onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    const s = this.state(session);
    const parsed = parseRecipient(address.address);
    if (!parsed.ok) return cb(this.refuse(parsed.refusal, session, { rcpt: address.address }));
    const countRefusal = checkRecipientCount(s.recipients.size, this.cfg.MX_MAX_RECIPIENTS, s.recipients.has(parsed.value.key));
    if (countRefusal) return cb(this.refuse(countRefusal, session));
    if (s.outbound) {
      const outbound = s.outbound;
      this.resolveOutbound(parsed.value, outbound, s).then(
        (r) => {
          if ('refusal' in r) return cb(this.refuse(r.refusal, session, { rcpt: parsed.value.address, connector: outbound.connector.name }));
          s.recipients.set(parsed.value.key, r.recipient);
          cb();
        },
        (err) => cb(this.temporary('temporary_failure', session, err, { rcpt: parsed.value.address, stage: 'rcpt' })),
      );
      return;
    }
    this.resolver.resolve(parsed.value).then(
      (r) => {
        if (!r.ok) return cb(this.refuse(r.refusal, session, { rcpt: parsed.value.address, detail: r.detail }));
        s.recipients.set(parsed.value.key, r.recipient);
        cb();
      },
      (err) => cb(this.temporary('temporary_failure', session, err, { rcpt: parsed.value.address, stage: 'rcpt' })),
    );
  }

  /**
   * A recipient of mail relayed for a tenant: any address is accepted (that
   * is the smarthost's job, for this tenant only). The tenant's own domains
   * go to its Exchange and are mirrored to the colleagues' Inboxes; all else
   * goes to the internet. The journaling address takes journal reports.
   */
  private async resolveOutbound(address: RecipientAddress, o: OutboundTransaction, s: SessionState): Promise<{ recipient: AcceptedRecipient } | { refusal: Refusal }> {
    const repeat = s.recipients.get(address.key);
    if (repeat) return { recipient: repeat };
    const slug = journalSlugOf(address.local, address.domain, this.journalDomain);
    if (slug !== null) {
      const refusal = checkJournalRecipient(slug, o.connector, s.recipients.size);
      if (refusal) return { refusal };
      o.journal = true;
      return { recipient: { address, tenant: o.tenant, mailboxIds: [], passthrough: false, routeKind: 'upstream', journal: true } };
    }
    if (o.journal) return { refusal: journalAlone() };
    if (!(await this.outboundLimits.take(`${o.connector.tenantId}:recipients`, o.connector.recipientsPerMinute))) return { refusal: rateRefusal('recipients') };
    const owner = await this.directory.verifiedTenantForDomain(address.domain);
    const routeKind = routeKindFor(owner?.tenantId ?? null, o.connector.tenantId);
    const target = routeKind === 'upstream' ? await this.directory.findRecipient(o.connector.tenantId, address.key) : null;
    return { recipient: { address, tenant: o.tenant, mailboxIds: target?.mailboxIds ?? [], passthrough: false, routeKind } };
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
    const s = this.state(session);
    s.inData = true;
    this.receive(stream, session, s)
      .then((reply) => cb(null, reply), (err: Error) => cb(err))
      .finally(() => {
        s.inData = false;
        s.recipients.clear();
      });
  }

  /** Streams, stores and records one transaction; resolves with the 250 text or rejects with the SMTP refusal. */
  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession, s: SessionState): Promise<string> {
    const receivedAt = new Date();
    const envelope = session.envelope;
    const mailFrom = envelope.mailFrom ? envelope.mailFrom.address : '';
    // Group this transaction's recipients by tenant: one message per tenant.
    const byTenant = new Map<string, AcceptedRecipient[]>();
    let missing = false;
    for (const rcpt of envelope.rcptTo) {
      const parsed = parseRecipient(rcpt.address);
      const accepted = parsed.ok ? s.recipients.get(parsed.value.key) : undefined;
      if (!accepted) {
        missing = true;
        continue;
      }
      const list = byTenant.get(accepted.tenant.tenantId) ?? [];
      if (!list.some((r) => r.address.key === accepted.address.key)) list.push(accepted);
      byTenant.set(accepted.tenant.tenantId, list);
    }
    if (missing || byTenant.size === 0) {
      stream.resume();
      throw this.temporary('temporary_failure', session, new Error('recipient state lost between RCPT and DATA'));
    }

    const tlsInfo = session.tlsOptions ? `${session.tlsOptions.version}:${session.tlsOptions.name}` : null;
    const messages = [...byTenant.entries()].map(([tenantId, recipients]) => {
      const queueId = newQueueId(receivedAt.getTime());
      const header = buildReceivedHeader({
        helo: session.hostNameAppearsAs || null,
        clientAddress: session.remoteAddress,
        by: this.cfg.MX_HOSTNAME,
        protocol: session.transmissionType,
        smtputf8: !!envelope.smtpUtf8,
        tls: tlsInfo,
        queueId,
        recipient: recipients.length === 1 ? recipients[0].address.address : null,
        date: receivedAt,
      });
      return { tenantId, queueId, recipients, key: blobKey(tenantId, queueId), prefix: Buffer.from(header, 'utf8') };
    });
    const queueIds = messages.map((m) => m.queueId);
    const logCtx = { queueId: queueIds.length === 1 ? queueIds[0] : queueIds, session: session.id, client: session.remoteAddress };

    let targets: IngestTarget[] = [];
    try {
      targets = messages.map((m) => ({ key: m.key, prefix: m.prefix, writer: this.blobs.createWriter(m.key) }));
    } catch (err) {
      stream.resume();
      throw this.temporary('temporary_failure', session, err, { ...logCtx, stage: 'blob-open' });
    }

    const ingest = await streamIntoBlobs(stream, targets);
    const endOfData = process.hrtime.bigint();
    if (ingest.kind !== 'complete') {
      await discardAll(this.blobs, targets);
      if (ingest.kind === 'too_big') {
        throw this.refuse({ reason: 'message_too_big', check: 'max_message_bytes', reply: SmtpReplies.messageTooBig(this.cfg.MX_MAX_MESSAGE_BYTES) }, session, logCtx);
      }
      if (ingest.kind === 'client_gone') {
        this.log.info({ ...logCtx, err: ingest.error.message }, 'client left during DATA; nothing kept');
        throw SmtpReplies.temporaryFailure();
      }
      throw this.temporary('temporary_failure', session, ingest.error, { ...logCtx, stage: 'blob-write' });
    }

    let sizes: number[];
    try {
      sizes = await commitAll(this.blobs, targets);
    } catch (err) {
      throw this.temporary('temporary_failure', session, err, { ...logCtx, stage: 'blob-commit' });
    }

    const outbound = s.outbound;
    const direction = outbound ? 'outbound' : 'inbound';

    // Tenants that refuse DMARC failures get the verdict before the 250, so the sender hears the
    // refusal (no bounce to a forged address later). Only when every tenant of the transaction
    // refuses: a 550 at DATA refuses all its recipients.
    let authentication: InboundAuthentication | null = null;
    if (!outbound && messages.every((m) => m.recipients[0].tenant.rejectOnDmarcFail === true)) {
      authentication = await this.authenticator.verify({
        queueId: messages[0].queueId,
        open: () => this.blobs.openRead(messages[0].key),
        clientAddress: session.remoteAddress ?? null,
        helo: session.hostNameAppearsAs || null,
        mailFrom,
        rejectOnDmarcFail: true,
      });
      if (authentication.summary.action === 'flagged-reject') {
        await discardAll(this.blobs, targets);
        const domain = authentication.summary.fromDomain ?? 'the sender domain';
        throw this.refuse({ reason: 'dmarc_reject', check: 'dmarc_policy_reject', reply: SmtpReplies.dmarcReject(domain) }, session, { ...logCtx, from: mailFrom, fromDomain: domain, spf: authentication.summary.spf, dkim: authentication.summary.dkim });
      }
    }
    let inputs: AcceptMessageInput[] = messages.map((m, i) => ({
      tenantId: m.tenantId,
      queueId: m.queueId,
      blobKey: m.key,
      sizeBytes: sizes[i],
      mailFrom,
      recipients: m.recipients.map((r) => r.address.address),
      mirrorMailboxIds: m.recipients.flatMap((r) => r.mailboxIds),
      clientAddress: session.remoteAddress ?? null,
      clientHelo: session.hostNameAppearsAs || null,
      body8bitmime: (envelope.bodyType ?? '').toLowerCase() === '8bitmime',
      smtputf8: !!envelope.smtpUtf8,
      receivedAt,
      deliveryLifetimeSeconds: m.recipients[0].tenant.deliveryLifetimeSeconds,
      authentication,
      ...(outbound
        ? {
            direction: 'outbound' as const,
            routeKinds: Object.fromEntries(m.recipients.map((r) => [r.address.address.toLowerCase(), r.routeKind ?? 'upstream'])),
            sentMailboxIds: outbound.senderMailboxIds,
          }
        : {}),
    }));

    // A journal report is unpacked before the 250: the original gets a blob and a row of its own.
    let reportKeyToDelete: string | null = null;
    if (outbound?.journal) {
      try {
        const base = inputs[0];
        const unpacked = await this.journal.unpack(
          { tenantId: base.tenantId, queueId: base.queueId, blobKey: base.blobKey, sizeBytes: base.sizeBytes, mailFrom, base: { ...base, direction: 'journal', routeKinds: undefined, sentMailboxIds: undefined } },
          receivedAt,
        );
        inputs = [unpacked.input];
        reportKeyToDelete = unpacked.reportKeyToDelete;
      } catch (err) {
        throw this.temporary('temporary_failure', session, err, { ...logCtx, stage: 'journal-unpack' });
      }
    }

    let accepted: AcceptedMessage[];
    try {
      accepted = await this.acceptance.accept(inputs, receivedAt);
    } catch (err) {
      // The blobs stay: a commit whose acknowledgement was lost may still have recorded
      // them, and deleting would then lose an accepted message. Unreferenced ones are
      // removed by the retention job's orphan sweep, which checks for the row first.
      throw this.temporary('temporary_failure', session, err, { ...logCtx, stage: 'record' });
    }

    this.metrics.acceptLatency.observe(Number(process.hrtime.bigint() - endOfData) / 1e9);
    this.metrics.accepted.inc({ direction: inputs[0].direction ?? direction }, accepted.length);
    for (const [i, a] of accepted.entries()) {
      this.log.info(
        {
          queueId: a.queueId, messageId: a.messageId, tenantId: a.tenantId, session: session.id, client: session.remoteAddress, size: inputs[i].sizeBytes, from: inputs[i].mailFrom, rcpt: inputs[i].recipients,
          mirrors: new Set(inputs[i].mirrorMailboxIds).size + new Set(inputs[i].sentMailboxIds ?? []).size, direction: inputs[i].direction ?? 'inbound',
          ...(outbound ? { connector: outbound.connector.name, via: outbound.via, journalState: inputs[i].journalState } : {}),
        },
        'accepted',
      );
      this.announce(a);
    }
    // The original is recorded; the report's own blob is no longer needed (the orphan sweep would find it otherwise).
    if (reportKeyToDelete) await this.blobs.delete(reportKeyToDelete).catch((err: unknown) => this.log.warn({ ...logCtx, err: err instanceof Error ? err.message : String(err) }, 'could not delete an unpacked journal report'));
    return `2.0.0 Ok: queued as ${accepted.map((a) => a.queueId).join(' ')}`;
  }

  /** After the commit, best-effort: a lost job is found again by the worker's sweeper. */
  private announce(message: AcceptedMessage): void {
    const p = this.acceptance
      .announce(message)
      .catch((err: unknown) => this.log.warn({ queueId: message.queueId, messageId: message.messageId, err: err instanceof Error ? err.message : String(err) }, 'could not enqueue jobs; the sweeper will pick the message up'))
      .finally(() => this.announcing.delete(p));
    this.announcing.add(p);
  }
}
