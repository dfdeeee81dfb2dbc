import { ArgumentsHost, CallHandler, CanActivate, Catch, ExceptionFilter, ExecutionContext, Inject, Injectable, NestInterceptor, NestMiddleware, createParamDecorator } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { Observable } from 'rxjs';
import { errorBodyOf } from '@app/http';
import { LOGGER, Logger } from '@app/observability';
import { ScimError, ScimErrors, ScimType } from './scim-error';
import { SCIM_CONTENT_TYPE } from './scim-resources';
import { ScimCaller, ScimTokensService } from './scim-tokens.service';

/** The HTTP side of SCIM: its own bearer token, body type, content type and error schema. */

export type ScimRequest = Request & { scim?: ScimCaller };

/** SCIM bodies larger than this are refused: a group PATCH with thousands of members still fits. */
export const SCIM_MAX_BODY = '2mb';

const parseScimJson = json({ type: ['application/scim+json', 'application/json'], limit: SCIM_MAX_BODY });

/**
 * Identity providers send `application/scim+json`, which the app's JSON parser
 * does not read. A body that is not JSON is answered here in the SCIM error schema.
 */
@Injectable()
export class ScimBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    parseScimJson(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status ?? 400;
      const e = status === 413 ? new ScimError(413, `the body is larger than ${SCIM_MAX_BODY}`) : ScimErrors.invalidSyntax('the body is not valid JSON');
      res.status(e.status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
      res.end(JSON.stringify(e.body()));
    });
  }
}

/** Every SCIM route needs `Authorization: Bearer <SCIM token>`; the token names the tenant. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokensService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<ScimRequest>();
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
    if (!m) throw ScimErrors.unauthorized('send the SCIM token as Authorization: Bearer <token>');
    const caller = await this.tokens.authenticate(m[1]);
    if (!caller) throw ScimErrors.unauthorized('the SCIM token is not valid (unknown, malformed or revoked)');
    req.scim = caller;
    return true;
  }
}

export const ScimCallerParam = createParamDecorator((_: unknown, ctx: ExecutionContext): ScimCaller => {
  const caller = ctx.switchToHttp().getRequest<ScimRequest>().scim;
  if (!caller) throw new Error('ScimCallerParam used without ScimAuthGuard');
  return caller;
});

/** Answers in application/scim+json. */
@Injectable()
export class ScimContentTypeInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    ctx.switchToHttp().getResponse<Response>().setHeader('Content-Type', SCIM_CONTENT_TYPE);
    return next.handle();
  }
}

const SCIM_TYPE_OF_STATUS: Record<number, ScimType | undefined> = { 400: 'invalidValue', 409: 'uniqueness' };

/** Every error of a SCIM route in the SCIM error schema (RFC 7644 §3.12), status as a string. */
@Catch()
export class ScimExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    let err: ScimError;
    if (e instanceof ScimError) err = e;
    else {
      const body = errorBodyOf(e);
      if (body) {
        err = new ScimError(body.statusCode, body.message, SCIM_TYPE_OF_STATUS[body.statusCode]);
      } else {
        this.logger.error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e), method: req.method, path: req.path }, 'SCIM request failed');
        err = new ScimError(500, 'internal error');
      }
    }
    if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="scim"');
    res.status(err.status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
    res.end(JSON.stringify(err.body()));
  }
}
