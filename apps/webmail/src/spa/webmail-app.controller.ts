import { Controller, Get, HttpException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../session/employee';
import { loadWebAppFiles, WEB_APP_CSP, WebAppFiles } from './web-app-files';

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', WEB_APP_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/**
 * Serves the webmail single-page app. The page itself needs a session: the global
 * guard sends a browser without one to /signin. Its assets are public, carry a
 * content hash in their names and are cached for a year; the page is revalidated
 * every time, so a new build is picked up at the next load.
 */
@ApiExcludeController()
@Controller()
export class WebmailAppController {
  private readonly files: WebAppFiles = loadWebAppFiles();

  @Get()
  index(@Res() res: Response): void {
    if (!this.files.index) throw new HttpException({ statusCode: 503, code: 'web_app_not_built', message: 'the webmail app is not built (npm run build)' }, 503);
    secure(res);
    res.setHeader('Cache-Control', 'no-cache, private');
    res.type('html').send(this.files.index);
  }

  /** Browsers ask for it on every page (the sign-in pages too); there is none, and that is not an error. */
  @Public()
  @Get('favicon.ico')
  favicon(@Res() res: Response): void {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.status(204).end();
  }

  @Public()
  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const file = /^[A-Za-z0-9._-]+$/.test(name) ? this.files.assets.get(name) : undefined;
    if (!file) throw new HttpException({ statusCode: 404, code: 'not_found', message: 'no such file' }, 404);
    secure(res);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.type(file.type).send(file.body);
  }
}
