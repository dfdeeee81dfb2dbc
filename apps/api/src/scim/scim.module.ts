import { Module } from '@nestjs/common';

/** SCIM 2.0 Users and Groups for Microsoft Entra ID and Okta. */
@Module({})
export class ScimModule {}
