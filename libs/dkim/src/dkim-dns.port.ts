import { newResolver } from '@app/dns';

/** The DNS question DKIM rotation asks: the TXT strings at a name (empty when there are none). */
export interface DkimTxtLookup {
  txt(name: string): Promise<string[][]>;
}
export const DKIM_TXT_LOOKUP = Symbol('DKIM_TXT_LOOKUP');

/** The system's resolver; NXDOMAIN and NODATA are "not published", other failures propagate. */
export class SystemDkimTxtLookup implements DkimTxtLookup {
  private readonly resolver = newResolver({ timeoutMs: 5000 });

  async txt(name: string): Promise<string[][]> {
    try {
      return await this.resolver.resolveTxt(name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw e;
    }
  }
}
