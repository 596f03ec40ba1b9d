/**
 * The Uppy page (`/uppy`): Uppy's Dashboard, Golden Retriever and the {@link CosUpload} plugin,
 * as an app would wire them. Served by the local server as `/uppy.js`. `?api=` and `?token=`
 * fill the connection; `?partSize=`, `?concurrency=`, `?limit=` and `?recordIntervalMs=` tune the plugin (demos and
 * tests). The Uppy instance is `window.uppy`, for the console and the browser test.
 */
import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import GoldenRetriever from '@uppy/golden-retriever';
import CosUpload, { type CosUploadBody, type CosUploadMeta } from '../uppy.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const apiInput = $<HTMLInputElement>('api');
const tokenInput = $<HTMLInputElement>('token');
const results = $<HTMLOListElement>('results');

const params = new URLSearchParams(location.search);
apiInput.value = params.get('api') ?? location.origin;
tokenInput.value = params.get('token') ?? '';
const positive = (v: string | null) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);

const MiB = 1024 * 1024;

const uppy = new Uppy<CosUploadMeta, CosUploadBody>({ debug: params.has('debug') })
  .use(Dashboard, {
    inline: true,
    target: '#uppy',
    width: '100%',
    height: 420,
    proudlyDisplayPoweredByUppy: false,
  })
  // Keeps the files (their bytes in IndexedDB) and the upload ids across a reload. Its stores
  // take the blob limits beside `name`, though its types list only that.
  .use(GoldenRetriever, { indexedDB: { maxFileSize: 2048 * MiB, maxTotalSize: 4096 * MiB } as { name?: string } })
  .use(CosUpload, {
    endpoint: apiInput.value.trim().replace(/\/+$/, ''),
    // Read at each call, so a token typed (or changed) after the page loaded is used.
    getToken: async () => tokenInput.value.trim(),
    partSize: positive(params.get('partSize')),
    concurrency: positive(params.get('concurrency')),
    limit: positive(params.get('limit')),
    recordIntervalMs: positive(params.get('recordIntervalMs')),
  });

uppy.on('upload-success', (file, response) => {
  const upload = response.body?.upload;
  if (!file || !upload) return;
  const li = document.createElement('li');
  li.dataset.uploadId = upload.id;
  li.dataset.fileId = file.id;
  li.textContent = `${file.name} → ${upload.key} (${upload.etag ?? ''}) `;
  if (upload.location) {
    const a = document.createElement('a');
    a.href = upload.location;
    a.textContent = 'location';
    li.append(a);
  }
  results.append(li);
});

declare global {
  interface Window {
    /** The page's Uppy instance (for the console and tests). */
    uppy: typeof uppy;
  }
}
window.uppy = uppy;
