import { openApiDocument } from '../shared/api/openapi.ts';
import { route } from '../shared/http/route.ts';

let doc: string | undefined;

/** GET /v1/openapi.json — behind auth like every /v1 route (API.md). */
export const handler = route({ name: 'openapi', auth: 'user' }, async () => {
  doc ??= JSON.stringify(openApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: doc };
});
