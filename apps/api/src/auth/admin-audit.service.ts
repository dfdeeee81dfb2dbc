/** The admin audit log lives in @app/admin-access (the CLI records to it too); the admin API's modules import it from here. */
export { AdminAuditService } from '@app/admin-access';
export type { AuditEntry, AuditFilter, AuditPage, AuditActorKind, AuditPrincipal } from '@app/admin-access';
