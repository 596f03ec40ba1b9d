import { buildUppyBundle, buildWebBundle, pageCss, uppyCss, uppyHtml, webIndexHtml } from '../client/web/build.ts';
import type { StaticAsset } from './api-server.ts';

const html = 'text/html; charset=utf-8';
const js = 'text/javascript; charset=utf-8';
const css = 'text/css; charset=utf-8';

/**
 * The browser upload page at `/` and its script, and the Uppy page at `/uppy` (Dashboard + the
 * `CosUpload` plugin) with its script and Uppy's CSS; bundled on first request so start-up stays
 * fast.
 */
export function webAssets(): Record<string, StaticAsset> {
  return {
    '/': { contentType: html, body: webIndexHtml },
    '/app.js': { contentType: js, body: buildWebBundle },
    '/page.css': { contentType: css, body: pageCss },
    '/uppy': { contentType: html, body: uppyHtml },
    '/uppy.js': { contentType: js, body: buildUppyBundle },
    '/uppy.css': { contentType: css, body: uppyCss },
  };
}
