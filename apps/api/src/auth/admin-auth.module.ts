import { Module } from '@nestjs/common';

/** Admin sign-in (password + TOTP), sessions, API keys, the global guard and throttling. */
@Module({})
export class AdminAuthModule {}
