import { All, Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res, UseFilters, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/principal';
import { ScimErrors } from './scim-error';
import { resourceType, resourceTypes, schemaById, schemas, serviceProviderConfig } from './scim-discovery';
import { ScimAuthGuard, ScimCallerParam, ScimContentTypeInterceptor, ScimExceptionFilter } from './scim-http';
import { readPaging } from './scim-resources';
import { ListParams, ScimService } from './scim.service';
import type { ScimCaller } from './scim-tokens.service';

/*
 * SCIM 2.0 (RFC 7644) for identity providers. Public for the admin guard:
 * ScimAuthGuard checks the tenant's SCIM bearer token instead. Bodies are
 * checked by the SCIM mapping itself (scim-resources.ts, scim-patch.ts), so
 * that a bad one is answered in the SCIM error schema that identity
 * providers log, not in the admin API's.
 */

type Obj = Record<string, unknown>;
type RawQuery = Record<string, unknown>;

function str(q: RawQuery, name: string): string | undefined {
  const k = Object.keys(q).find((key) => key.toLowerCase() === name.toLowerCase());
  const v = k === undefined ? undefined : q[k];
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

function listParams(q: RawQuery): ListParams {
  return { filter: str(q, 'filter'), paging: readPaging(q), attributes: str(q, 'attributes'), excludedAttributes: str(q, 'excludedAttributes') };
}

function projection(q: RawQuery): Pick<ListParams, 'attributes' | 'excludedAttributes'> {
  return { attributes: str(q, 'attributes'), excludedAttributes: str(q, 'excludedAttributes') };
}

@ApiTags('scim')
@Public()
@Controller('scim/v2/Users')
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimContentTypeInterceptor)
export class ScimUsersController {
  constructor(private readonly scim: ScimService) {}

  @Get()
  @ApiOperation({ summary: 'SCIM: list Users (mailboxes); filter e.g. userName eq "x", externalId eq "y"; startIndex, count' })
  list(@ScimCallerParam() c: ScimCaller, @Query() q: RawQuery): Promise<Obj> {
    return this.scim.listUsers(c, listParams(q));
  }

  @Post()
  @ApiOperation({ summary: 'SCIM: create a User (a mailbox; userName is its address); 409 uniqueness if it exists' })
  async create(@ScimCallerParam() c: ScimCaller, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<Obj> {
    const r = await this.scim.createUser(c, body);
    res.setHeader('Location', `${this.scim.baseUrl}/Users/${r.id as string}`);
    return r;
  }

  @Get(':id')
  @ApiOperation({ summary: 'SCIM: a User' })
  get(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Query() q: RawQuery): Promise<Obj> {
    return this.scim.getUser(c, id, projection(q));
  }

  @Put(':id')
  @ApiOperation({ summary: 'SCIM: replace a User' })
  replace(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Body() body: unknown): Promise<Obj> {
    return this.scim.replaceUser(c, id, body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'SCIM: PATCH a User (add/replace/remove, with or without path)' })
  patch(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Body() body: unknown): Promise<Obj> {
    return this.scim.patchUser(c, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'SCIM: delete a User — disables the mailbox, whose standby copy is kept until retention' })
  remove(@ScimCallerParam() c: ScimCaller, @Param('id') id: string): Promise<void> {
    return this.scim.deleteUser(c, id);
  }
}

@ApiTags('scim')
@Public()
@Controller('scim/v2/Groups')
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimContentTypeInterceptor)
export class ScimGroupsController {
  constructor(private readonly scim: ScimService) {}

  @Get()
  @ApiOperation({ summary: 'SCIM: list Groups (distribution groups); filter e.g. displayName eq "x"; excludedAttributes=members' })
  list(@ScimCallerParam() c: ScimCaller, @Query() q: RawQuery): Promise<Obj> {
    return this.scim.listGroups(c, listParams(q));
  }

  @Post()
  @ApiOperation({ summary: 'SCIM: create a Group' })
  async create(@ScimCallerParam() c: ScimCaller, @Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<Obj> {
    const r = await this.scim.createGroup(c, body);
    res.setHeader('Location', `${this.scim.baseUrl}/Groups/${r.id as string}`);
    return r;
  }

  @Get(':id')
  @ApiOperation({ summary: 'SCIM: a Group' })
  get(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Query() q: RawQuery): Promise<Obj> {
    return this.scim.getGroup(c, id, projection(q));
  }

  @Put(':id')
  @ApiOperation({ summary: 'SCIM: replace a Group' })
  replace(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Body() body: unknown): Promise<Obj> {
    return this.scim.replaceGroup(c, id, body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'SCIM: PATCH a Group (members add/remove, displayName)' })
  patch(@ScimCallerParam() c: ScimCaller, @Param('id') id: string, @Body() body: unknown): Promise<Obj> {
    return this.scim.patchGroup(c, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: "SCIM: delete a Group (members' mailboxes are untouched)" })
  remove(@ScimCallerParam() c: ScimCaller, @Param('id') id: string): Promise<void> {
    return this.scim.deleteGroup(c, id);
  }
}

@ApiTags('scim')
@Public()
@Controller('scim/v2')
@UseGuards(ScimAuthGuard)
@UseFilters(ScimExceptionFilter)
@UseInterceptors(ScimContentTypeInterceptor)
export class ScimDiscoveryController {
  constructor(private readonly scim: ScimService) {}

  @Get('ServiceProviderConfig')
  @ApiOperation({ summary: 'SCIM: what this service provider supports' })
  config(): Obj {
    return serviceProviderConfig(this.scim.baseUrl);
  }

  @Get('ResourceTypes')
  types(): Obj {
    return resourceTypes(this.scim.baseUrl);
  }

  @Get('ResourceTypes/:name')
  type(@Param('name') name: string): Obj {
    const r = resourceType(name, this.scim.baseUrl);
    if (!r) throw ScimErrors.notFound('ResourceType', name);
    return r;
  }

  @Get('Schemas')
  schemas(): Obj {
    return schemas(this.scim.baseUrl);
  }

  @Get('Schemas/:id')
  schema(@Param('id') id: string): Obj {
    const r = schemaById(id, this.scim.baseUrl);
    if (!r) throw ScimErrors.notFound('Schema', id);
    return r;
  }

  /** Anything else under /scim/v2 (Bulk, /Me, a typo) is a SCIM 404, not the admin API's. */
  @All('*path')
  unknown(): never {
    throw ScimErrors.notFound('Endpoint', 'this');
  }
}
