import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { TenantsModule } from '@app/tenants/tenants.module';
import { DirectoryResourcesModule } from '../directory/directory-resources.module';
import { ScimDiscoveryController, ScimGroupsController, ScimUsersController } from './scim.controllers';
import { ScimAuthGuard, ScimBodyMiddleware } from './scim-http';
import { ScimService } from './scim.service';
import { ScimTokensController } from './scim-tokens.controller';
import { ScimTokensService } from './scim-tokens.service';

/** SCIM 2.0 Users and Groups for Microsoft Entra ID and Okta, and the admin routes for SCIM tokens. */
@Module({
  imports: [DirectoryResourcesModule, TenantsModule],
  // The discovery controller holds the /scim/v2 catch-all, so it comes last.
  controllers: [ScimTokensController, ScimUsersController, ScimGroupsController, ScimDiscoveryController],
  providers: [ScimService, ScimTokensService, ScimAuthGuard],
})
export class ScimModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ScimBodyMiddleware).forRoutes(ScimUsersController, ScimGroupsController, ScimDiscoveryController);
  }
}
