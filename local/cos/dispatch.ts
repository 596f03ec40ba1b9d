import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PATH, handleAdmin } from './admin.ts';
import { applyFault, type FaultEffect } from './apply-fault.ts';
import { authenticate } from './auth.ts';
import { authorize, authorizeCopySource } from './authorize.ts';
import { appendObject } from './append.ts';
import { complete } from './complete.ts';
import { copySourceOf, putObjectCopy, uploadPartCopy } from './copy.ts';
import type { EmulatorContext, RequestInfo } from './context.ts';
import { corsForRequest, preflight } from './cors.ts';
import { CosError, isCosError } from './cos-error.ts';
import { abort, initiate, listParts, listUploads, uploadPart } from './multipart.ts';
import { deleteObject, getObject, putObject } from './objects.ts';
import { header, parseTarget, resolveOp } from './request.ts';
import { newRequestId, sendCosError, setCommonHeaders } from './respond.ts';
import { handleSts } from './sts.ts';

/** One request, start to end: route, faults, authentication, policy, handler, errors, log line. */

export async function dispatch(req: IncomingMessage, res: ServerResponse, ctx: EmulatorContext): Promise<void> {
  const requestId = newRequestId();
  const started = Date.now();
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  let op = '-';
  let resource = `${ctx.bucket}.cos.${ctx.region}.myqcloud.com${path}`;
  res.on('close', () =>
    ctx.log({
      requestId,
      method,
      path,
      op,
      status: res.statusCode,
      ms: Date.now() - started,
      aborted: !res.writableFinished,
    }),
  );
  setCommonHeaders(res, requestId);
  try {
    if (method === 'OPTIONS') return preflight(req, res, ctx.cors);
    corsForRequest(req, res, ctx.cors);
    if (path === ADMIN_PATH) return await handleAdmin(req, res, ctx);
    const tcAction = header(req, 'x-tc-action');
    if (method === 'POST' && tcAction !== undefined) {
      op = tcAction;
      const fault =
        op === 'GetFederationToken' || op === 'AssumeRole' ? ctx.faults.take({ op, method, key: '' }) : null;
      if (fault && (await applyFault(req, fault, true, res)).done) return;
      return await handleSts(req, res, ctx, tcAction);
    }
    const target = parseTarget(req.url ?? '/', ctx.bucket, ctx.buckets);
    resource = `${target.bucket}.cos.${ctx.region}.myqcloud.com/${target.key}`;
    const cosOp = resolveOp(req, target);
    op = cosOp;
    const fault = ctx.faults.take({ op: cosOp, method, key: target.key });
    const applied: FaultEffect = fault ? await applyFault(req, fault, false, res) : { done: false };
    if (applied.done) return;
    const info: RequestInfo = {
      requestId,
      bucket: target.bucket,
      key: target.key,
      query: target.query,
      resource,
      noCrc64: applied.noCrc64,
    };
    const principal = authenticate({
      method,
      path: `/${target.key}`,
      query: target.query,
      params: target.params,
      headers: req.headers,
      nowMs: ctx.now(),
      account: ctx.account,
      findToken: (t) => ctx.store.getToken(t),
    });
    authorize(principal, cosOp, req, ctx, info);
    // A copy reads another object: the key needs read on it too (436/8287, 436/10881).
    const source = cosOp === 'UploadPartCopy' || cosOp === 'PutObjectCopy' ? copySourceOf(req, ctx) : null;
    if (source) authorizeCopySource(principal, req, ctx, source);
    switch (cosOp) {
      case 'UploadPartCopy':
        return await uploadPartCopy(req, res, ctx, info, source!);
      case 'PutObjectCopy':
        return await putObjectCopy(req, res, ctx, info, source!);
      case 'AppendObject':
        return await appendObject(req, res, ctx, info);
      case 'PutObject':
        return await putObject(req, res, ctx, info);
      case 'HeadObject':
      case 'GetObject':
        return await getObject(req, res, ctx, info, cosOp === 'HeadObject');
      case 'DeleteObject':
        return await deleteObject(res, ctx, info);
      case 'InitiateMultipartUpload':
        return initiate(req, res, ctx, info);
      case 'UploadPart':
        return await uploadPart(req, res, ctx, info);
      case 'ListParts':
        return listParts(res, ctx, info);
      case 'CompleteMultipartUpload':
        return await complete(req, res, ctx, info, {
          lateErrorCode: applied.late,
          slowMergeMs: applied.slowMergeMs,
          noCrc64: applied.noCrc64,
        });
      case 'AbortMultipartUpload':
        return await abort(res, ctx, info);
      case 'ListMultipartUploads':
        return listUploads(res, ctx, info);
      default:
        throw new CosError(501, 'NotImplemented', `${cosOp} is not emulated.`);
    }
  } catch (e) {
    // A client hanging up mid-body is routine (retries, dropped uploads), not an emulator fault.
    const clientGone = req.destroyed || res.destroyed;
    if (!isCosError(e) && !clientGone) {
      ctx.log({ level: 'error', requestId, op, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const err = isCosError(e)
      ? e
      : new CosError(500, 'InternalError', 'We encountered an internal error. Please try again.');
    await sendCosError(req, res, err, resource, requestId);
  }
}
