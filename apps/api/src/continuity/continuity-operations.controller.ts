import { Controller, Get, Header, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import type { TransitionRecord } from '@app/continuity';
import { EventNotFoundError, ReconciliationService, RecoveryStore } from '@app/continuity/recovery';
import type { ReconciliationReport } from '@app/continuity/recovery';
import { HttpError, ZodBody, ZodQuery } from '@app/http';
import { ContinuityService } from '@app/continuity';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { auditCsv } from './audit-log';
import { ContinuityAuditService } from './continuity-audit.service';
import { ContinuityControlService, CredentialsSent } from './continuity-control.service';
import { ContinuityStatusService, ContinuityStatusView, eventView, EventView } from './continuity-status.service';
import { auditCsvQuery, auditQuery, credentialsBody, drillBody, readinessQuery, reasonBody } from './continuity.schemas';
import { ReadinessReport, ReadinessService } from './readiness.service';

/** The most rows one CSV export carries. */
const CSV_MAX_ROWS = 5000;

/**
 * Continuity mode of one tenant: status, the admins' requests (activate,
 * confirm, end, drills, credentials), the audit log, the reconciliation
 * reports of past events. Reading needs any role of the tenant; requests need
 * an admin.
 */
@ApiTags('continuity')
@Controller('api/tenants/:tenantId/continuity')
export class ContinuityOperationsController {
  constructor(
    private readonly statusService: ContinuityStatusService,
    private readonly control: ContinuityControlService,
    private readonly audit: ContinuityAuditService,
    private readonly continuity: ContinuityService,
    private readonly recovery: RecoveryStore,
    private readonly reconciliation: ReconciliationService,
  ) {}

  @Get()
  status(@Param('tenantId') tenantId: string): Promise<ContinuityStatusView> {
    return this.statusService.status(tenantId);
  }

  @Post('activate')
  @Roles('admin')
  activate(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>): Promise<TransitionRecord> {
    return this.control.activate(p, tenantId, b.reason);
  }

  @Post('confirm')
  @Roles('admin')
  confirm(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>): Promise<TransitionRecord> {
    return this.control.confirm(p, tenantId, b.reason);
  }

  @Post('end')
  @Roles('admin')
  end(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>): Promise<TransitionRecord> {
    return this.control.end(p, tenantId, b.reason);
  }

  @Post('drill')
  @Roles('admin')
  drill(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(drillBody) b: z.infer<typeof drillBody>): Promise<TransitionRecord> {
    return this.control.startDrill(p, tenantId, b.reason, b.all ? { all: true } : { mailboxIds: b.mailboxIds ?? [] });
  }

  @Post('drill/end')
  @Roles('admin')
  endDrill(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>): Promise<TransitionRecord> {
    return this.control.endDrill(p, tenantId, b.reason);
  }

  @Post('credentials')
  @Roles('admin')
  credentials(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(credentialsBody) b: z.infer<typeof credentialsBody>): Promise<CredentialsSent> {
    const target = b.all ? { all: true as const } : b.group ? { group: b.group } : { mailboxIds: b.mailboxIds ?? [] };
    return this.control.sendCredentials(p, tenantId, target, b.reason ?? null);
  }

  @Get('audit')
  async auditLog(@Param('tenantId') tenantId: string, @ZodQuery(auditQuery) q: z.infer<typeof auditQuery>) {
    await this.continuity.load(tenantId);
    return this.audit.page(tenantId, q);
  }

  @Get('audit.csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  async auditCsv(@Param('tenantId') tenantId: string, @ZodQuery(auditCsvQuery) q: z.infer<typeof auditCsvQuery>, @Res({ passthrough: true }) res: Response): Promise<string> {
    await this.continuity.load(tenantId);
    const page = await this.audit.page(tenantId, { ...q, limit: CSV_MAX_ROWS, offset: 0 });
    res.setHeader('Content-Disposition', `attachment; filename="audit-${tenantId}.csv"`);
    if (page.hasMore) res.setHeader('X-Truncated', `only the newest ${CSV_MAX_ROWS} entries; narrow the time range`);
    return auditCsv(page.items);
  }

  @Get('events')
  async events(@Param('tenantId') tenantId: string): Promise<{ items: EventView[] }> {
    await this.continuity.load(tenantId);
    return { items: (await this.recovery.listEvents(tenantId, 100)).map(eventView) };
  }

  /** `eventId`: the event's id, the transition that started or ended it, or `latest`. */
  @Get('events/:eventId/report')
  async report(@Param('tenantId') tenantId: string, @Param('eventId') eventId: string): Promise<ReconciliationReport> {
    await this.continuity.load(tenantId);
    try {
      return await this.reconciliation.report(tenantId, eventId === 'latest' ? undefined : eventId);
    } catch (e) {
      if (e instanceof EventNotFoundError) throw new HttpError(404, e.code, e.message);
      throw e;
    }
  }
}

/** The readiness report of one tenant (any role of the tenant). */
@ApiTags('continuity')
@Controller('api/tenants/:tenantId/readiness')
export class ReadinessController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get()
  report(@Param('tenantId') tenantId: string, @ZodQuery(readinessQuery) q: z.infer<typeof readinessQuery>): Promise<ReadinessReport> {
    return this.readiness.report(tenantId, q.limit);
  }
}
