import type { StaticAsset } from './api-server.ts';

/** The browser upload page at `/`; built on first request so start-up stays fast. */
export function webAssets(): Record<string, StaticAsset> {
  return {};
}
