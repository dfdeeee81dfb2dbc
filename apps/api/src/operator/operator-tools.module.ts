import { Module } from '@nestjs/common';

/** Operator tools: the queue per tenant and the circuit breaker. */
@Module({})
export class OperatorToolsModule {}
