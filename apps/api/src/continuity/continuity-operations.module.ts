import { Module } from '@nestjs/common';

/** Continuity status and control, credentials, audit log, reconciliation and readiness reports. */
@Module({})
export class ContinuityOperationsModule {}
