import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LOGGER, Logger } from '@app/observability';
import { errorBodyOf } from '@app/http';

/** Every error body is `{ statusCode, code, message }` (CONVENTIONS.md); unexpected failures are logged and answered 500. */
@Catch()
export class ApiHttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const body = errorBodyOf(e);
    if (body) {
      res.status(body.statusCode).json(body);
      return;
    }
    this.logger.error({ err: e instanceof Error ? e.stack ?? e.message : String(e), method: req.method, path: req.path }, 'request failed');
    res.status(500).json({ statusCode: 500, code: 'internal', message: 'internal error' });
  }
}
