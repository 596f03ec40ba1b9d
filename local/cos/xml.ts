/** Building COS XML responses: escaping and small element helpers (responses are tiny; strings suffice). */

/** Escapes element text. Quotes stay literal, as COS writes ETags: `<ETag>"abc"</ETag>`. */
export const xmlEscape = (s: string): string =>
  s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** `<name>escaped value</name>`; numbers and booleans are written as COS does (`true`/`false`). */
export const el = (name: string, value: string | number | boolean): string =>
  `<${name}>${xmlEscape(String(value))}</${name}>`;

/** `<name>` + already-built children + `</name>`. */
export const wrap = (name: string, ...children: string[]): string => `<${name}>${children.join('')}</${name}>`;

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export interface ErrorXmlFields {
  code: string;
  message: string;
  resource: string;
  requestId: string;
  traceId: string;
}

/** COS's error document (also used inside Complete's 200 body, there without the declaration). */
export const errorXml = (e: ErrorXmlFields, declaration = true): string =>
  (declaration ? XML_DECLARATION : '') +
  wrap(
    'Error',
    el('Code', e.code),
    el('Message', e.message),
    el('Resource', e.resource),
    el('RequestId', e.requestId),
    el('TraceId', e.traceId),
  );
