import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Queues } from '@app/queues';
import { newToken } from './webmail-sessions.service';

export const SETUP_COOKIE = 'mc_webmail_setup';
export const SETUP_TTL_SECONDS = 15 * 60;

/** A redeemed one-time credential waiting for its password. */
export interface SetupTicket {
  tenantId: string;
  mailboxId: string;
  address: string;
  method: 'code' | 'link';
}

/**
 * Between redeeming a one-time credential and choosing a password the
 * employee holds a setup ticket: a random token in a cookie, its hash in
 * Redis for 15 minutes, used once.
 */
@Injectable()
export class SetupTicketsService {
  constructor(
    private readonly queues: Queues,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'REDIS_PREFIX'>,
  ) {}

  private key(token: string): string {
    return `${this.cfg.REDIS_PREFIX}:webmail-setup:${createHash('sha256').update(token).digest('hex')}`;
  }

  async create(ticket: SetupTicket): Promise<string> {
    const token = newToken();
    await this.queues.connection.set(this.key(token), JSON.stringify(ticket), 'EX', SETUP_TTL_SECONDS);
    return token;
  }

  async get(token: string | undefined): Promise<SetupTicket | null> {
    if (!token || token.length > 200) return null;
    const v = await this.queues.connection.get(this.key(token));
    return v ? (JSON.parse(v) as SetupTicket) : null;
  }

  /** Takes the ticket; a second call (a double submit) gets null. */
  async consume(token: string): Promise<SetupTicket | null> {
    const v = await this.queues.connection.getdel(this.key(token));
    return v ? (JSON.parse(v) as SetupTicket) : null;
  }
}
