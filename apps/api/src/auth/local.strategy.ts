import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Authenticator } from 'passport';
import { Strategy } from 'passport-local';
import type { Request, Response } from 'express';
import { HttpError } from '@app/http';
import { AdminSignInService, SignedIn } from './admin-sign-in.service';
import { clientIp } from './auth-metadata';
import { MAX_PASSWORD_LENGTH } from '@app/admin-access';

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

/**
 * passport-local over the JSON body {email, password}; the sign-in service
 * decides. Each api instance has its own passport Authenticator rather than
 * passport's process-wide one, so two apps in one process (tests) never use
 * each other's services.
 */
@Injectable()
export class AdminLocalGuard implements CanActivate {
  private readonly passport = new Authenticator();

  constructor(signIn: AdminSignInService) {
    this.passport.use(
      'admin-local',
      new Strategy({ usernameField: 'email', passwordField: 'password', passReqToCallback: true, session: false }, (req, email, password, done) => {
        const r = req as Request;
        if (typeof email !== 'string' || email.length > 320) return done(new HttpError(400, 'invalid_request', 'email: expected an e-mail address'));
        if (typeof password !== 'string' || password.length > MAX_PASSWORD_LENGTH) return done(new HttpError(400, 'invalid_request', 'password: expected a string'));
        withRetryAfter(r.res, () => signIn.signIn(email, password, clientIp(r), r.header('user-agent'))).then(
          (signedIn) => done(null, signedIn),
          (e) => done(e),
        );
      }),
    );
  }

  canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: SignedIn }>();
    const res = ctx.switchToHttp().getResponse<Response>();
    return new Promise((resolve, reject) => {
      this.passport.authenticate('admin-local', { session: false }, (err: unknown, user: SignedIn | false) => {
        if (err) return reject(err);
        // passport-local fails without calling us when a field is missing.
        if (!user) return reject(new HttpError(400, 'invalid_request', 'email and password are required'));
        req.user = user;
        resolve(true);
      })(req, res, (e: unknown) => (e ? reject(e) : resolve(true)));
    });
  }
}
