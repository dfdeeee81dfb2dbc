import { Module } from '@nestjs/common';
import { ContinuityModule } from '@app/continuity';
import { BounceService, DeliveryStore, QueueOperationsStore } from '@app/delivery';
import { CircuitBreakerController } from './circuit-breaker.controller';
import { QueueController } from './queue.controller';
import { QueueOperationsService } from './queue-operations.service';

/**
 * Operator tools: the queue per tenant and the circuit breaker. The delivery
 * engine's store and bounce writer are provided here on their own (not the
 * DeliveryModule, whose SMTP senders belong in the worker).
 */
@Module({
  imports: [ContinuityModule],
  controllers: [QueueController, CircuitBreakerController],
  providers: [QueueOperationsService, QueueOperationsStore, DeliveryStore, BounceService],
})
export class OperatorToolsModule {}
