import { Controller, Get, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodBody } from '@app/http';
import { BreakerRow, breakerTripped, UpstreamHealthStore } from '@app/continuity';
import { AdminAuditService } from '../auth/admin-audit.service';
import { CurrentPrincipal, Roles } from '../auth/principal';
import type { Principal } from '../auth/principal';
import { breakerOverrideBody } from './operator.schemas';

export type BreakerView = BreakerRow & { tripped: boolean };

function view(b: BreakerRow): BreakerView {
  return { ...b, tripped: breakerTripped(b.state, b.override) };
}

/**
 * The global circuit breaker that pauses automatic activations when most
 * tenants' upstreams fail at once. Operators may force it open or closed, or
 * give it back to the automatic count; the worker's state machine reads the
 * override on every decision.
 */
@ApiTags('operator')
@Roles('operator')
@Controller('api/operator/circuit-breaker')
export class CircuitBreakerController {
  constructor(
    private readonly health: UpstreamHealthStore,
    private readonly audit: AdminAuditService,
  ) {}

  @Get()
  async state(): Promise<BreakerView> {
    return view(await this.health.breaker());
  }

  @Post()
  async override(@CurrentPrincipal() p: Principal, @ZodBody(breakerOverrideBody) b: z.infer<typeof breakerOverrideBody>): Promise<BreakerView> {
    const before = await this.health.breaker();
    const after = await this.health.setBreakerOverride(b.override, b.reason, p.name);
    await this.audit.record(p, null, 'circuit-breaker.override', 'circuit-breaker', { reason: b.reason, override: b.override, previousOverride: before.override, state: after.state });
    return view(after);
  }
}
