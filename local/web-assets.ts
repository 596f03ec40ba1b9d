import { buildWebBundle, webIndexHtml } from '../client/web/build.ts';
import type { StaticAsset } from './api-server.ts';

/** The browser upload page at `/` and its script; bundled on first request so start-up stays fast. */
export function webAssets(): Record<string, StaticAsset> {
  return {
    '/': { contentType: 'text/html; charset=utf-8', body: webIndexHtml },
    '/app.js': { contentType: 'text/javascript; charset=utf-8', body: buildWebBundle },
  };
}
