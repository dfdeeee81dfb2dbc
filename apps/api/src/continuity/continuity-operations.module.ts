import { Module } from '@nestjs/common';
import { ContinuityModule } from '@app/continuity';
import { ReconciliationService, RecoveryStore } from '@app/continuity/recovery';
import { CredentialsModule } from '@app/credentials';
import { ContinuityAuditService } from './continuity-audit.service';
import { ContinuityControlService } from './continuity-control.service';
import { ContinuityOperationsController, ReadinessController } from './continuity-operations.controller';
import { ContinuityStatusService } from './continuity-status.service';
import { ReadinessService } from './readiness.service';

/**
 * Continuity status and control, credentials, audit log, reconciliation and
 * readiness reports. The recovery store and reconciliation are provided here
 * rather than through RecoveryModule, whose replay scheduler belongs in the
 * worker only.
 */
@Module({
  imports: [ContinuityModule, CredentialsModule],
  controllers: [ContinuityOperationsController, ReadinessController],
  providers: [ContinuityStatusService, ContinuityControlService, ContinuityAuditService, ReadinessService, RecoveryStore, ReconciliationService],
})
export class ContinuityOperationsModule {}
