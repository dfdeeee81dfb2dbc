import { Controller, Get, Param, Res } from '@nestjs/common';
import { sendWebAppAsset, sendWebAppIndex } from '@app/http';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/principal';
import { CONSOLE_CSP, ConsoleFiles, loadConsoleFiles } from './console-files';

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
    sendWebAppIndex(res, this.files, CONSOLE_CSP, { code: 'console_not_built', message: 'the admin console is not built (npm run build)' });
  }

  @Get('console/assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    sendWebAppAsset(res, this.files, name, CONSOLE_CSP);
  }
}
