import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { Request } from 'express';
import { HttpError } from '@app/http';
import { AdminSignInService, SignedIn } from './admin-sign-in.service';
import { clientIp } from './auth-metadata';
import { MAX_PASSWORD_LENGTH } from './passwords';

/** A 429 from the sign-in service carries its wait in details; clients read it from Retry-After. */
export async function withRetryAfter<T>(res: { setHeader(name: string, value: string): unknown } | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const retryAfter = e instanceof HttpError && e.statusCode === 429 ? e.details?.retryAfter : undefined;
    if (typeof retryAfter === 'number') res?.setHeader('Retry-After', String(retryAfter));
    throw e;
  }
}

/** passport-local over the JSON body {email, password}; the sign-in service decides. */
@Injectable()
export class AdminLocalStrategy extends PassportStrategy(Strategy, 'admin-local') {
  constructor(private readonly signIn: AdminSignInService) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false });
  }

  async validate(req: Request, email: unknown, password: unknown): Promise<SignedIn> {
    if (typeof email !== 'string' || email.length > 320) throw new HttpError(400, 'invalid_request', 'email: expected an e-mail address');
    if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) throw new HttpError(400, 'invalid_request', 'password: expected a string');
    return withRetryAfter(req.res, () => this.signIn.signIn(email, password, clientIp(req), req.header('user-agent')));
  }
}

/** Runs the strategy; missing fields are a 400 naming them, not passport's bare 401. */
@Injectable()
export class AdminLocalGuard extends AuthGuard('admin-local') {
  override handleRequest<T>(err: unknown, user: T | false, _info: unknown, _ctx: ExecutionContext): T {
    if (err) throw err;
    if (!user) throw new HttpError(400, 'invalid_request', 'email and password are required');
    return user;
  }
}
