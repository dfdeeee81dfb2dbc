import { Inject, Injectable } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@app/config';
import { BLOB_STORE, BlobStore, readBlobHead } from '@app/blob-store';
import { DkimKeysService, signMessage, SigningKey } from '@app/dkim';
import { MailAuthenticator } from '@app/mail-auth';
import { LOGGER, Logger } from '@app/observability';
import type { MessageForDelivery } from './delivery.store';
import { fromDomainOf, shouldSign } from './outgoing-message';

const HEAD_LIMIT = 256 * 1024;
/** Room for one DKIM-Signature header field in the SIZE we declare. */
const SIGNATURE_ALLOWANCE = 1200;

/** The bytes an attempt passes on, opened afresh for every transaction. */
export interface PreparedMessage {
  open(): Readable;
  /** Bytes added to the stored message (headers we prepend), for the SIZE declared in MAIL FROM. */
  extraBytes: number;
  signedBy: string[];
}

/**
 * What goes on the wire for a message: the stored bytes with, in front, the
 * `Authentication-Results` of an inbound message (computed once, at its first
 * attempt) or the DKIM signatures of mail we sign. Prepend only: the bytes
 * received follow unchanged.
 */
@Injectable()
export class OutgoingMessages {
  private cacheDirReady: Promise<void> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'DATA_DIR'>,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly dkim: DkimKeysService,
    private readonly auth: MailAuthenticator,
    private readonly ds: DataSource,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async prepare(message: MessageForDelivery): Promise<PreparedMessage> {
    const openStored = () => this.blobs.openRead(message.blobKey);
    if (message.direction === 'inbound') {
      const { header } = await this.auth.ensureFor(message, openStored);
      const prefix = Buffer.from(header, 'utf8');
      return { open: () => prepend(prefix, openStored()), extraBytes: prefix.length, signedBy: [] };
    }
    const keys = await this.signingKeys(message);
    if (keys.length === 0) return { open: openStored, extraBytes: 0, signedBy: [] };
    // Large bodies are cached on disk while the body hash is computed, beside the blobs rather than in a shared /tmp.
    const opts = { cacheDir: join(this.cfg.DATA_DIR, 'dkim-tmp'), cacheThresholdBytes: 4 * 1024 * 1024 };
    this.cacheDirReady ??= mkdir(opts.cacheDir, { recursive: true, mode: 0o700 }).then(() => undefined);
    await this.cacheDirReady;
    return {
      open: () => signMessage(openStored(), keys, opts),
      extraBytes: keys.length * SIGNATURE_ALLOWANCE,
      signedBy: keys.map((k) => `${k.selector}._domainkey.${k.domain}`),
    };
  }

  private async signingKeys(message: MessageForDelivery): Promise<SigningKey[]> {
    const signDkim = message.preloaded
      ? message.preloaded.signDkim
      : ((await this.ds.query(`SELECT sign_dkim AS "signDkim" FROM messages WHERE tenant_id = $1 AND id = $2`, [message.tenantId, message.id])) as { signDkim: boolean }[])[0]?.signDkim === true;
    if (message.direction !== 'dsn' && !signDkim && message.direction !== 'outbound') return [];
    const domain = fromDomainOf(await readBlobHead(this.blobs, message.blobKey, HEAD_LIMIT));
    if (!domain) return [];
    const tenantSignsFromDomain = message.direction === 'outbound' && !signDkim ? await this.dkim.signsOutbound(message.tenantId, domain) : false;
    if (!shouldSign({ direction: message.direction, signDkim, tenantSignsFromDomain })) return [];
    const keys = await this.dkim.signingKeysFor(message.tenantId, domain);
    if (keys.length === 0) {
      // A tenant that asked for signing and has no active key should hear of it; DSNs of a service without its own key are normal.
      const level = message.direction === 'dsn' ? 'debug' : 'warn';
      this.logger[level]({ queueId: message.queueId, domain }, 'mail to be DKIM-signed, but the domain has no active key; sending it unsigned');
    }
    return keys;
  }

}

/** The prefix, then the stored stream; destroying the result closes the stored stream too. */
export function prepend(prefix: Buffer, rest: Readable): Readable {
  return Readable.from(
    (async function* () {
      yield prefix;
      for await (const chunk of rest) yield chunk as Buffer;
    })(),
    { objectMode: false },
  );
}
