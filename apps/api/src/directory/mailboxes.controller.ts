import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Readable, Transform } from 'node:stream';
import { z } from 'zod';
import { HttpError, ZodBody, ZodQuery } from '@app/http';
import { ImportReport } from '@app/mailboxes';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Principal, Roles } from '../auth/principal';
import { DirectoryService, MailboxDetail } from './directory.service';
import { mailboxView, MailboxView } from './directory-views';
import { CreateMailboxBody, ImportQuery, ListMailboxesQuery, UpdateMailboxBody } from './directory-schemas';

/** A CSV larger than this is refused (413), as a multipart upload or as a raw text/csv body. */
export const MAX_IMPORT_UPLOAD_BYTES = 50 * 1024 * 1024;

function tooLarge(): HttpError {
  return new HttpError(413, 'too_large', `the CSV is larger than ${MAX_IMPORT_UPLOAD_BYTES / 1024 / 1024} MB; split it into several files (importing is idempotent)`);
}

/** The raw body as a stream that fails once it passes the limit (a body sent without Content-Length). */
function limitedBody(req: Request): Readable & { overLimit?: boolean } {
  let seen = 0;
  const out: Transform & { overLimit?: boolean } = req.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > MAX_IMPORT_UPLOAD_BYTES) {
          out.overLimit = true;
          req.unpipe();
          req.resume();
          done(tooLarge());
          return;
        }
        done(null, chunk);
      },
    }),
  );
  return out;
}

/** What multer (memory storage, its default) hands over for the uploaded file. */
interface UploadedCsv {
  buffer: Buffer;
  originalname: string;
}

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain', 'application/vnd.ms-excel'];

/** The tenant's mailboxes: employees' standby mailboxes and shared mailboxes; CSV import and export. */
@ApiTags('directory')
@Controller('api/tenants/:tenantId/mailboxes')
export class MailboxesController {
  constructor(
    private readonly directory: DirectoryService,
    private readonly audit: AdminAuditService,
  ) {}

  @Get('export.csv')
  @ApiOperation({ summary: 'All mailboxes as CSV in the import format (formula-like cells prefixed with an apostrophe)' })
  async exportCsv(@Param('tenantId') tenantId: string, @Res({ passthrough: true }) res: Response): Promise<string> {
    const csv = await this.directory.exportCsv(tenantId.toLowerCase());
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="mailboxes-${tenantId.toLowerCase()}.csv"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    return csv;
  }

  @Get()
  @ApiOperation({ summary: 'Mailboxes, sorted by address, a page at a time; q searches address and display name' })
  async list(@Param('tenantId') tenantId: string, @ZodQuery(ListMailboxesQuery) q: z.infer<typeof ListMailboxesQuery>): Promise<{ items: MailboxView[]; total: number; limit: number; offset: number }> {
    const page = await this.directory.listMailboxes(tenantId.toLowerCase(), q);
    return { ...page, limit: q.limit, offset: q.offset };
  }

  @Get(':mailboxId')
  @ApiOperation({ summary: 'A mailbox with its aliases, groups and shared-mailbox memberships' })
  get(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string): Promise<MailboxDetail> {
    return this.directory.mailboxDetail(tenantId.toLowerCase(), mailboxId);
  }

  @Post()
  @Roles('admin')
  @ApiOperation({ summary: "Create a mailbox (kind 'shared' for a shared mailbox)" })
  async create(@Param('tenantId') tenantId: string, @ZodBody(CreateMailboxBody) body: z.infer<typeof CreateMailboxBody>, @CurrentPrincipal() p: Principal): Promise<MailboxView> {
    const t = tenantId.toLowerCase();
    const m = await this.directory.createMailbox(t, body);
    await this.audit.record(p, t, 'mailbox.create', m.id, { address: m.address, kind: m.kind });
    return mailboxView(m);
  }

  @Patch(':mailboxId')
  @Roles('admin')
  @ApiOperation({ summary: 'Change display name, mobile (E.164), alternate e-mail or status; null or "" clears mobile and alternate e-mail' })
  async update(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string, @ZodBody(UpdateMailboxBody) body: z.infer<typeof UpdateMailboxBody>, @CurrentPrincipal() p: Principal): Promise<MailboxView> {
    const t = tenantId.toLowerCase();
    const m = await this.directory.updateMailbox(t, mailboxId, body);
    // Field names only: mobile numbers and private addresses stay out of the audit log.
    await this.audit.record(p, t, 'mailbox.update', m.id, { address: m.address, fields: Object.keys(body), ...(body.status ? { status: body.status } : {}) });
    return mailboxView(m);
  }

  @Delete(':mailboxId')
  @Roles('admin')
  @ApiOperation({ summary: 'Disable a mailbox: its standby copy is kept until retention; PATCH status active enables it again' })
  async disable(@Param('tenantId') tenantId: string, @Param('mailboxId') mailboxId: string, @CurrentPrincipal() p: Principal): Promise<MailboxView> {
    const t = tenantId.toLowerCase();
    const m = await this.directory.disableMailbox(t, mailboxId);
    await this.audit.record(p, t, 'mailbox.disable', m.id, { address: m.address });
    return mailboxView(m);
  }

  @Post('import')
  @HttpCode(200)
  @Roles('admin')
  @ApiConsumes('text/csv', 'multipart/form-data')
  @ApiOperation({
    summary: 'Import mailboxes from CSV (text/csv body, or multipart field "file"); dryRun=true checks without saving',
    description: 'Columns address,display_name,mobile,alternate_email[,aliases][,groups]; upsert by address, never deletes; importing the same file again changes nothing. Broken rows are reported with their line; the others are imported.',
  })
  @UseInterceptors(FileInterceptor('file', { limits: { fileSize: MAX_IMPORT_UPLOAD_BYTES, files: 1 } }))
  async import(
    @Param('tenantId') tenantId: string,
    @ZodQuery(ImportQuery) q: z.infer<typeof ImportQuery>,
    @Req() req: Request,
    @UploadedFile() file: UploadedCsv | undefined,
    @CurrentPrincipal() p: Principal,
  ): Promise<ImportReport & { dryRun: boolean }> {
    const t = tenantId.toLowerCase();
    let input: Readable & { overLimit?: boolean };
    let source: string;
    if (file) {
      input = Readable.from([file.buffer]);
      source = file.originalname || 'upload';
    } else if (req.is('multipart/form-data')) {
      throw new HttpError(400, 'invalid_request', 'file: the multipart body has no field "file"');
    } else if (req.is(CSV_TYPES)) {
      if (Number(req.headers['content-length'] ?? 0) > MAX_IMPORT_UPLOAD_BYTES) throw tooLarge();
      input = limitedBody(req);
      source = 'body';
    } else {
      throw new HttpError(415, 'unsupported_media_type', 'send the CSV as a text/csv body or as the field "file" of a multipart/form-data upload');
    }
    // The CSV reader reports a failed stream as unreadable; past the limit it is "too large".
    const report = await this.directory.importCsv(t, input, q.dryRun).catch((e) => {
      throw input.overLimit ? tooLarge() : e;
    });
    if (!q.dryRun) {
      await this.audit.record(p, t, 'mailbox.import', null, { source, rows: report.rows, created: report.created, updated: report.updated, unchanged: report.unchanged, errors: report.errorCount });
    }
    return { dryRun: q.dryRun, ...report };
  }
}
