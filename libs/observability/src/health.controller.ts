import { Controller, Get, HttpException, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Metrics } from './metrics';

/** A named dependency check for readiness; throws when the dependency is unusable. */
export interface ReadinessCheck { name: string; check(): Promise<void> }
export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** Liveness says the process runs; readiness says it can take work now. */
export class ShutdownState {
  draining = false;
}

@Controller()
export class HealthController {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    private readonly metrics: Metrics,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get('health/ready')
  async ready() {
    const results: Record<string, string> = {};
    let ok = !this.shutdown.draining;
    if (this.shutdown.draining) results.shutdown = 'draining';
    await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2000);
          results[c.name] = 'ok';
        } catch (e) {
          ok = false;
          results[c.name] = e instanceof Error ? e.message : String(e);
        }
      }),
    );
    if (!ok) throw new HttpException({ statusCode: 503, code: 'not_ready', message: 'a dependency is unavailable', checks: results }, 503);
    return { status: 'ok', checks: results };
  }

  @Get('metrics')
  async metricsText(@Res() res: Response) {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
