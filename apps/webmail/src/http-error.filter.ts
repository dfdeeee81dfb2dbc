import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import { ErrorBody, errorBodyOf } from '@app/http';
import type { Request, Response } from 'express';
import { LOGGER, Logger } from '@app/observability';
import { CredentialError } from '@app/credentials';
import { errorPage } from './signin-pages';

/** Whether the client asked for JSON (an API call under /api, or a JSON body or Accept) rather than a page (a browser form). */
export function wantsJson(req: Request): boolean {
  return req.path === '/api' || req.path.startsWith('/api/') || !!req.is('application/json') || req.accepts(['html', 'json']) === 'json';
}

/**
 * One filter for every webmail route: domain errors and HTTP errors become
 * `{ statusCode, code, message }` (CONVENTIONS.md), shown as a small page to
 * browsers; anything unexpected is logged and answered 500 without details.
 */
@Catch()
export class WebmailHttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    let body: ErrorBody;
    if (e instanceof CredentialError) {
      body = { statusCode: e.status, code: e.code, message: e.message, ...(Object.keys(e.details).length ? { details: e.details } : {}) };
    } else if (errorBodyOf(e)) {
      body = errorBodyOf(e)!;
    } else {
      this.logger.error({ err: e instanceof Error ? e.stack ?? e.message : String(e), path: req.path }, 'request failed');
      body = { statusCode: 500, code: 'internal', message: 'internal error' };
    }
    res.setHeader('Cache-Control', 'no-store');
    // A browser opening a page without a session goes to the sign-in page; API calls get the 401.
    if (body.statusCode === 401 && body.code === 'unauthenticated' && (req.method === 'GET' || req.method === 'HEAD') && !wantsJson(req)) {
      res.redirect(302, '/signin');
      return;
    }
    if (wantsJson(req)) res.status(body.statusCode).json(body);
    else res.status(body.statusCode).type('html').send(errorPage(body.statusCode, body.code, body.message));
  }
}
