import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Response } from 'express';
import { LOGGER, Logger } from '@app/observability';

/** Every error body is `{ statusCode, code, message }` (CONVENTIONS.md); unexpected failures are logged and answered 500. */
@Catch()
export class ApiHttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(e: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const body = e.getResponse();
      const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      res.status(status).json({
        statusCode: status,
        code: typeof b.code === 'string' ? b.code : status === 404 ? 'not_found' : 'http_error',
        message: typeof b.message === 'string' ? b.message : e.message,
      });
      return;
    }
    this.logger.error({ err: e instanceof Error ? e.stack ?? e.message : String(e) }, 'request failed');
    res.status(500).json({ statusCode: 500, code: 'internal', message: 'internal error' });
  }
}
