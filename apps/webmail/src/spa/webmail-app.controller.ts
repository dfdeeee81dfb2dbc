import { Controller, Get, Param, Res } from '@nestjs/common';
import { sendWebAppAsset, sendWebAppIndex } from '@app/http';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../session/employee';
import { loadWebAppFiles, WEB_APP_CSP, WebAppFiles } from './web-app-files';

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
    sendWebAppIndex(res, this.files, WEB_APP_CSP, { code: 'web_app_not_built', message: 'the webmail app is not built (npm run build)' });
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
    sendWebAppAsset(res, this.files, name, WEB_APP_CSP);
  }
}
