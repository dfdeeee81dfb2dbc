import { Module } from '@nestjs/common';

/** Employee sign-in, passwords, sessions, CSRF and the global session guard. */
@Module({})
export class WebmailSessionModule {}
