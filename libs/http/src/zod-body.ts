import { applyDecorators, BadRequestException, Body, PipeTransform, Query } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';

/** The first problem of a failed parse, naming the field: `mobile: must be E.164 (+4917…)`. */
export function describeZodError(e: z.ZodError): { field: string; message: string } {
  const issue = e.issues[0];
  const at = issue?.path.length ? issue.path.map(String) : [];
  // An unknown key is reported at its parent; name the key itself.
  if (issue?.code === 'unrecognized_keys' && issue.keys.length) at.push(issue.keys[0]);
  const field = at.length ? at.join('.') : '(body)';
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}

/** Validates a body or query against a zod schema; a failure is a 400 `invalid_request` that names the field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown): z.infer<T> {
    const r = this.schema.safeParse(value ?? {});
    if (r.success) return r.data;
    const { field, message } = describeZodError(r.error);
    throw new BadRequestException({ statusCode: 400, code: 'invalid_request', message, field });
  }
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  } catch {
    return { type: 'object' };
  }
}

/**
 * `@ZodBody(schema) body: z.infer<typeof schema>`: validated body, documented
 * in OpenAPI from the same schema.
 */
export function ZodBody<T extends z.ZodType>(schema: T): ParameterDecorator {
  const body = Body(new ZodPipe(schema));
  const doc = ApiBody({ schema: jsonSchemaOf(schema) as never });
  return (target, key, index) => {
    body(target, key, index);
    if (key !== undefined) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (descriptor) applyDecorators(doc)(target, key, descriptor);
    }
  };
}

/** `@ZodQuery(schema) q: z.infer<typeof schema>`: the query string, validated the same way. */
export function ZodQuery<T extends z.ZodObject>(schema: T): ParameterDecorator {
  const query = Query(new ZodPipe(schema));
  return (target, key, index) => {
    query(target, key, index);
    if (key !== undefined) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (descriptor) {
        for (const [name, field] of Object.entries(schema.shape)) {
          applyDecorators(ApiQuery({ name, required: !(field as z.ZodType).safeParse(undefined).success, schema: jsonSchemaOf(field as z.ZodType) as never }))(target, key, descriptor);
        }
      }
    }
  };
}
