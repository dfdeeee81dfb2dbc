import { Module } from '@nestjs/common';
import { DKIM_TXT_LOOKUP, SystemDkimTxtLookup } from './dkim-dns.port';
import { DkimKeysService } from './dkim-keys.service';
import { DkimRotationScheduler } from './dkim-rotation.scheduler';

/** DKIM keys and their rotation; needs the global DataSource, APP_CONFIG and LOGGER. DNS sits behind DKIM_TXT_LOOKUP. */
@Module({
  providers: [DkimKeysService, DkimRotationScheduler, { provide: DKIM_TXT_LOOKUP, useClass: SystemDkimTxtLookup }],
  exports: [DkimKeysService, DkimRotationScheduler, DKIM_TXT_LOOKUP],
})
export class DkimModule {}
