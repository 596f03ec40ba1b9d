import type { ErrorCode } from '../errors.ts';
import * as z from '../zod.ts';
import { ERROR_STATUSES } from './error-statuses.ts';
import { errorCodes, OPERATIONS, type Operation, type SuccessResponse } from './operations.ts';
import { errorBody } from './response-schemas.ts';

// Only the openapi function imports this module, so only it carries zod's JSON Schema generator.

interface ObjectSchema {
  properties?: Record<string, object>;
  required?: string[];
}

/** zod's JSON Schema without `$schema`: inside an OpenAPI 3.1 document the dialect is the document's. */
function jsonSchema(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' });
  return rest;
}

const json = (schema: object) => ({ 'application/json': { schema } });
const ERROR = { $ref: '#/components/schemas/Error' };

/** Path and query parameters from the object schemas the function validates them with. */
function parameters(op: Operation) {
  const from = (where: 'path' | 'query', schema: z.ZodMiniType | undefined) => {
    if (!schema) return [];
    const { properties = {}, required = [] } = jsonSchema(schema, 'input') as ObjectSchema;
    return Object.entries(properties).map(([name, s]) => ({
      name,
      in: where,
      required: where === 'path' || required.includes(name),
      schema: s,
    }));
  };
  return [...from('path', op.params), ...from('query', op.query)];
}

/** An optional schema means the body may be left out: its inner object is documented, not required. */
function requestBody(body: z.ZodMiniType) {
  const optional = body instanceof z.ZodMiniOptional;
  const inner = body instanceof z.ZodMiniOptional ? (body.def.innerType as z.ZodMiniType) : body;
  return { required: !optional, content: json(jsonSchema(inner, 'input')) };
}

const success = (r: SuccessResponse) => ({
  description: r.description,
  ...(r.headers ? { headers: r.headers } : {}),
  ...(r.schema ? { content: json(jsonSchema(r.schema, 'output')) } : {}),
});

/** Each status the route can answer with, described by the codes it carries, all with the error body. */
function responses(op: Operation) {
  const out: Record<string, object> = {};
  for (const [status, r] of Object.entries(op.success)) out[status] = success(r);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(op)) {
    for (const status of ERROR_STATUSES[code]) byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of byStatus) out[String(status)] = { description: codes.join(', '), content: json(ERROR) };
  out.default = { description: 'INTERNAL: an unexpected failure (500)', content: json(ERROR) };
  return out;
}

function operation(op: Operation) {
  const params = parameters(op);
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.auth === 'none' ? {} : { security: [{ bearer: [] }] }),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(op.body ? { requestBody: requestBody(op.body) } : {}),
    responses: responses(op),
  };
}

/** The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with. */
export function openApiDocument() {
  const paths: Record<string, Record<string, ReturnType<typeof operation>>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.0',
    info: { title: 'COS upload coordination API', version: '1.0.0' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: jsonSchema(errorBody, 'output') },
    },
    paths,
  };
}
