import { attachmentHeaders } from '@app/mailbox-view';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiConsumes, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { APP_CONFIG, AppConfig } from '@app/config';
import { ZodBody, ZodQuery } from '@app/http';
import { CurrentEmployee, Employee } from '../session/employee';
import { AddressDirectory, DirectoryEntry } from './address-directory.service';
import { DirectoryQuerySchema, DraftFields, DraftFieldsSchema, ReplyTemplateSchema } from './compose.schemas';
import { Draft, DraftSummary, DraftsService } from './drafts.service';
import { ReplyTemplateService } from './reply-template.service';
import { SenderAccess, Sender } from './sender-access.service';
import { SendService, SentMessage } from './send.service';

/** Drafts and their attachments: the employee's own, nobody else's. */
@ApiTags('webmail compose')
@Controller('api/drafts')
export class DraftsController {
  constructor(
    private readonly drafts: DraftsService,
    private readonly sending: SendService,
  ) {}

  @Get()
  async list(@CurrentEmployee() e: Employee): Promise<{ drafts: DraftSummary[] }> {
    return { drafts: await this.drafts.list(e) };
  }

  @Post()
  create(@CurrentEmployee() e: Employee, @ZodBody(DraftFieldsSchema) body: DraftFields): Promise<Draft> {
    return this.drafts.create(e, body);
  }

  @Get(':id')
  get(@CurrentEmployee() e: Employee, @Param('id') id: string): Promise<Draft> {
    return this.drafts.get(e, id);
  }

  @Put(':id')
  update(@CurrentEmployee() e: Employee, @Param('id') id: string, @ZodBody(DraftFieldsSchema) body: DraftFields): Promise<Draft> {
    return this.drafts.update(e, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentEmployee() e: Employee, @Param('id') id: string): Promise<void> {
    await this.drafts.remove(e, id);
  }

  @Post(':id/attachments')
  @ApiConsumes('multipart/form-data')
  upload(@CurrentEmployee() e: Employee, @Param('id') id: string, @Req() req: Request): Promise<Draft> {
    return this.drafts.upload(e, id, req);
  }

  @Get(':id/attachments/:attachmentId')
  async download(@CurrentEmployee() e: Employee, @Param('id') id: string, @Param('attachmentId') attachmentId: string, @Res() res: Response): Promise<void> {
    const { attachment, open } = await this.drafts.openAttachment(e, id, attachmentId);
    // The same headers as a received message's attachments: a forwarded hostile file stays a download.
    for (const [name, value] of Object.entries(attachmentHeaders({ contentType: attachment.contentType, filename: attachment.filename }))) res.setHeader(name, value);
    res.setHeader('Content-Length', String(attachment.size));
    const stream = open();
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  @Delete(':id/attachments/:attachmentId')
  removeAttachment(@CurrentEmployee() e: Employee, @Param('id') id: string, @Param('attachmentId') attachmentId: string): Promise<Draft> {
    return this.drafts.removeAttachment(e, id, attachmentId);
  }

  @Post(':id/send')
  @HttpCode(202)
  send(@CurrentEmployee() e: Employee, @Param('id') id: string, @Req() req: Request): Promise<SentMessage> {
    return this.sending.send(e, id, req.ip ?? req.socket.remoteAddress ?? null);
  }
}

/** Reply and forward templates, the senders an employee may choose, and the limits the composer shows. */
@ApiTags('webmail compose')
@Controller('api/compose')
export class ComposeController {
  constructor(
    private readonly templates: ReplyTemplateService,
    private readonly senders: SenderAccess,
    @Inject(APP_CONFIG) private readonly cfg: Pick<AppConfig, 'WEBMAIL_MAX_ATTACHMENT_BYTES' | 'WEBMAIL_MAX_MESSAGE_BYTES' | 'WEBMAIL_MAX_RECIPIENTS'>,
  ) {}

  @Post('reply-template')
  replyTemplate(@CurrentEmployee() e: Employee, @ZodBody(ReplyTemplateSchema) body: z.infer<typeof ReplyTemplateSchema>): Promise<Draft> {
    return this.templates.create(e, body.entryId, body.mode);
  }

  @Get('senders')
  async senderList(@CurrentEmployee() e: Employee): Promise<{ senders: Sender[] }> {
    return { senders: await this.senders.senders(e) };
  }

  @Get('limits')
  limits(): { maxAttachmentBytes: number; maxMessageBytes: number; maxRecipients: number } {
    return { maxAttachmentBytes: this.cfg.WEBMAIL_MAX_ATTACHMENT_BYTES, maxMessageBytes: this.cfg.WEBMAIL_MAX_MESSAGE_BYTES, maxRecipients: this.cfg.WEBMAIL_MAX_RECIPIENTS };
  }
}

/** Address completion from the tenant's directory. */
@ApiTags('webmail compose')
@Controller('api/directory')
export class DirectoryController {
  constructor(private readonly directory: AddressDirectory) {}

  @Get()
  async complete(@CurrentEmployee() e: Employee, @ZodQuery(DirectoryQuerySchema) q: z.infer<typeof DirectoryQuerySchema>): Promise<{ results: DirectoryEntry[] }> {
    return { results: await this.directory.complete(e, q.q) };
  }
}
