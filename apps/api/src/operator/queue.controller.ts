import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody, ZodQuery } from '@app/http';
import { ContinuityService } from '@app/continuity';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { QueueOperationsService } from './queue-operations.service';
import { queueListQuery, reasonBody, retryBody } from './operator.schemas';

/** A tenant's mail queue, for the provider's operators only. */
@ApiTags('operator')
@Roles('operator')
@Controller('api/tenants/:tenantId/queue')
export class QueueController {
  constructor(
    private readonly queue: QueueOperationsService,
    private readonly continuity: ContinuityService,
  ) {}

  @Get()
  async list(@Param('tenantId') tenantId: string, @ZodQuery(queueListQuery) q: z.infer<typeof queueListQuery>) {
    await this.continuity.load(tenantId);
    const page = await this.queue.list(tenantId, q);
    return { ...page, limit: q.limit, offset: q.offset };
  }

  @Post('retry')
  async retry(@Param('tenantId') tenantId: string, @CurrentPrincipal() p: Principal, @ZodBody(retryBody) b: z.infer<typeof retryBody>) {
    await this.continuity.load(tenantId);
    return this.queue.retry(p, tenantId, b.all ? null : (b.deliveryId ?? null), b.reason ?? null);
  }

  @Post('messages/:messageId/purge')
  async purge(@Param('tenantId') tenantId: string, @Param('messageId') messageId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>) {
    await this.continuity.load(tenantId);
    return this.queue.purge(p, tenantId, messageId, b.reason);
  }

  @Post(':deliveryId/bounce')
  async bounce(@Param('tenantId') tenantId: string, @Param('deliveryId') deliveryId: string, @CurrentPrincipal() p: Principal, @ZodBody(reasonBody) b: z.infer<typeof reasonBody>) {
    await this.continuity.load(tenantId);
    return this.queue.bounce(p, tenantId, deliveryId, b.reason);
  }
}
