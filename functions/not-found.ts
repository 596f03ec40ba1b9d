import { notFound } from '../shared/errors.ts';
import { route } from '../shared/http/route.ts';

/** The catch-all route: unknown paths answer the contract's 404 body, not the gateway's own. */
export const handler = route({ name: 'not-found', auth: 'none' }, async () => {
  throw notFound('no such route');
});
