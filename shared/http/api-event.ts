import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';

/** Both API Gateway payload formats: HTTP API (v2) and REST API (v1). */
export type ApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

/** The parts of an event the pipeline needs, the same whichever format arrived. */
export interface ApiRequest {
  method: string;
  path: string;
  /** Lowercased names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  pathParams: Record<string, string>;
  /** Decoded body text (API Gateway base64-encodes binary bodies). */
  body: string | null;
  requestId: string;
}

const isV2 = (e: ApiEvent): e is APIGatewayProxyEventV2 => (e as APIGatewayProxyEventV2).version === '2.0';

const defined = (o: Record<string, string | undefined> | null | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined) out[k] = v;
  return out;
};

export function normalizeEvent(event: ApiEvent): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
  const rawBody = event.body ?? null;
  const body = rawBody !== null && event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  if (isV2(event)) {
    return {
      method: event.requestContext.http.method.toUpperCase(),
      path: event.rawPath,
      headers,
      query: defined(event.queryStringParameters),
      pathParams: defined(event.pathParameters),
      body,
      requestId: event.requestContext.requestId,
    };
  }
  return {
    method: event.httpMethod.toUpperCase(),
    path: event.path,
    headers,
    query: defined(event.queryStringParameters),
    pathParams: defined(event.pathParameters),
    body,
    requestId: event.requestContext?.requestId ?? '',
  };
}

export function json(statusCode: number, payload: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: payload === undefined ? '' : JSON.stringify(payload),
  };
}
