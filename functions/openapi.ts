import { openApiDocument } from '../shared/api/openapi.ts';
import { route } from '../shared/http/route.ts';

let doc: string | undefined;

/** GET /v1/openapi.json — no token: it describes the API to whoever will call it. */
export const handler = route({ name: 'openapi', auth: 'none' }, async () => {
  doc ??= JSON.stringify(openApiDocument());
  return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: doc };
});
