import { Controller, Get, HttpException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/principal';
import { CONSOLE_CSP, ConsoleFiles, loadConsoleFiles } from './console-files';

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * Serves the admin console at /console. The page and its assets hold no data
 * (everything comes from the API, which needs a session), so they are public:
 * the console shows its own sign-in form. Assets carry a content hash and are
 * cached for a year; the page is revalidated every time.
 */
@ApiExcludeController()
@Public()
@Controller()
export class AdminConsoleController {
  private readonly files: ConsoleFiles = loadConsoleFiles();

  @Get()
  root(@Res() res: Response): void {
    res.redirect(302, '/console/');
  }

  @Get('console')
  index(@Res() res: Response): void {
    if (!this.files.index) throw new HttpException({ statusCode: 503, code: 'console_not_built', message: 'the admin console is not built (npm run build)' }, 503);
    secure(res);
    res.setHeader('Cache-Control', 'no-cache, private');
    res.type('html').send(this.files.index);
  }

  @Get('console/assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const file = /^[A-Za-z0-9._-]+$/.test(name) ? this.files.assets.get(name) : undefined;
    if (!file) throw new HttpException({ statusCode: 404, code: 'not_found', message: 'no such file' }, 404);
    secure(res);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(file.type).send(file.body);
  }
}
