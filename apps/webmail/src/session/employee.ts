import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';

/** The employee a webmail session belongs to: one mailbox of one tenant. */
export interface Employee {
  sessionId: string;
  tenantId: string;
  mailboxId: string;
  address: string;
  displayName: string;
}

export const IS_PUBLIC = 'mc:webmail-public';

/** The route needs no session (sign-in pages, health, the single-page app's static files). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

export type EmployeeRequest = Request & { employee?: Employee };

/** The employee the session guard attached to the request. */
export const CurrentEmployee = createParamDecorator((_: unknown, ctx: ExecutionContext): Employee => {
  const e = ctx.switchToHttp().getRequest<EmployeeRequest>().employee;
  if (!e) throw new Error('CurrentEmployee used on a route without a session (is it @Public()?)');
  return e;
});
