import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { HttpError, ZodBody, ZodQuery } from '@app/http';
import { attachmentHeaders, LISTED_FOLDERS, ListedFolder, MailboxViewService, mailDocumentCsp, MessageContentService, Viewer } from '@app/mailbox-view';
import { CurrentEmployee, Employee } from '../session/employee';

const viewerOf = (e: Employee): Viewer => ({ tenantId: e.tenantId, mailboxId: e.mailboxId });

const PageQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const SearchQuery = z.object({
  q: z.string().trim().min(1, 'give at least one word').max(200),
  mailboxId: z.string().max(64).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const HtmlQuery = z.object({ images: z.enum(['blocked', 'allowed']).default('blocked') });
const ReadBody = z.object({ unread: z.boolean() });

/** Drafts are not mirror entries: the compose side lists them (GET /api/drafts). */
function folderOf(raw: string): ListedFolder {
  if (!(LISTED_FOLDERS as string[]).includes(raw)) throw new HttpError(404, 'not_found', 'no such folder');
  return raw as ListedFolder;
}

/** Folders, message lists, threads, search, message bodies and attachments of the employee's mailboxes. */
@ApiTags('webmail: reading')
@Controller('api')
export class MailController {
  constructor(private readonly view: MailboxViewService, private readonly content: MessageContentService) {}

  @Get('mailboxes')
  async mailboxes(@CurrentEmployee() e: Employee) {
    return { mailboxes: await this.view.mailboxes(viewerOf(e)) };
  }

  @Get('mailboxes/:mailboxId/folders/:folder/messages')
  list(@CurrentEmployee() e: Employee, @Param('mailboxId') mailboxId: string, @Param('folder') folder: string, @ZodQuery(PageQuery) q: z.infer<typeof PageQuery>) {
    return this.view.list(viewerOf(e), mailboxId, folderOf(folder), { cursor: q.cursor, limit: q.limit });
  }

  @Get('mailboxes/:mailboxId/threads/:threadId')
  thread(@CurrentEmployee() e: Employee, @Param('mailboxId') mailboxId: string, @Param('threadId') threadId: string) {
    return this.view.thread(viewerOf(e), mailboxId, threadId);
  }

  @Get('search')
  search(@CurrentEmployee() e: Employee, @ZodQuery(SearchQuery) q: z.infer<typeof SearchQuery>) {
    return this.view.search(viewerOf(e), q.q, { mailboxId: q.mailboxId, cursor: q.cursor, limit: q.limit });
  }

  @Get('messages/:entryId')
  detail(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string) {
    return this.content.detail(viewerOf(e), entryId);
  }

  /** The sanitized HTML, for a sandboxed frame: its own CSP forbids scripts and any load but embedded (or allowed remote) images. */
  @Get('messages/:entryId/html')
  async html(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string, @ZodQuery(HtmlQuery) q: z.infer<typeof HtmlQuery>, @Res() res: Response): Promise<void> {
    const allowed = q.images === 'allowed';
    const { document } = await this.content.htmlDocument(viewerOf(e), entryId, allowed);
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': mailDocumentCsp(allowed),
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'SAMEORIGIN',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'private, no-store',
    });
    res.status(200).send(document);
  }

  @Get('messages/:entryId/attachments/:index')
  async attachment(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string, @Param('index') index: string, @Res() res: Response): Promise<void> {
    const n = /^\d{1,4}$/.test(index) ? Number(index) : -1;
    const part = await this.content.attachment(viewerOf(e), entryId, n);
    res.status(200).set({ ...attachmentHeaders(part), 'Referrer-Policy': 'no-referrer' });
    res.once('close', () => part.close());
    part.content.once('error', () => {
      part.close();
      res.destroy();
    });
    part.content.pipe(res);
  }

  @Post('messages/:entryId/read')
  @HttpCode(200)
  read(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string, @ZodBody(ReadBody) body: z.infer<typeof ReadBody>) {
    return this.view.setUnread(viewerOf(e), entryId, body.unread);
  }

  @Post('messages/:entryId/trash')
  @HttpCode(200)
  trash(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string) {
    return this.view.trash(viewerOf(e), entryId);
  }

  @Post('messages/:entryId/restore')
  @HttpCode(200)
  restore(@CurrentEmployee() e: Employee, @Param('entryId') entryId: string) {
    return this.view.restore(viewerOf(e), entryId);
  }
}
