import type { IncomingMessage } from 'node:http';
import type { Principal } from './auth.ts';
import type { EmulatorContext, RequestInfo } from './context.ts';
import { accessDenied } from './cos-error.ts';
import type { CosOp } from './faults.ts';
import { cosResources, evaluate, type Policy, parsePolicy } from './policy.ts';
import { header } from './request.ts';

/** Holds a temporary key's request to its token's policy; the account key may do anything. */

const policies = new Map<string, Policy>();
const policyOf = (text: string): Policy => {
  let p = policies.get(text);
  if (!p) {
    p = parsePolicy(text);
    policies.set(text, p);
  }
  return p;
};

/** `::ffff:127.0.0.1` is how Node names an IPv4 peer on a dual-stack socket; CAM sees 127.0.0.1. */
const peerIp = (req: IncomingMessage): string | undefined => req.socket.remoteAddress?.replace(/^::ffff:(?=\d)/, '');

/**
 * The read a copy needs on its source (436/8287: GetObject on the source object; 436/10881 the
 * same): checked against the source's own resource, so a key allowed to write one upload's object
 * cannot copy another's bytes into it.
 */
export function authorizeCopySource(
  principal: Principal,
  req: IncomingMessage,
  ctx: EmulatorContext,
  source: { bucket: string; key: string },
): void {
  if (principal.kind === 'account' || principal.token.policy === null) return;
  const decision = evaluate(policyOf(principal.token.policy), {
    action: 'name/cos:GetObject',
    resources: cosResources(ctx.region, source.bucket, source.key),
    context: { 'qcs:ip': peerIp(req) },
  });
  if (decision !== 'allow') throw accessDenied('Access Denied: the temporary key may not read the copy source.');
}

export function authorize(
  principal: Principal,
  op: CosOp,
  req: IncomingMessage,
  ctx: EmulatorContext,
  info: RequestInfo,
): void {
  if (principal.kind === 'account' || principal.token.policy === null) return;
  const decision = evaluate(policyOf(principal.token.policy), {
    action: `name/cos:${op}`,
    resources: cosResources(ctx.region, info.bucket, info.key),
    context: {
      'cos:content-length': header(req, 'content-length'),
      'cos:content-type': header(req, 'content-type'),
      'qcs:ip': peerIp(req),
    },
  });
  if (decision !== 'allow') {
    throw accessDenied(
      decision === 'deny'
        ? 'Access Denied: an explicit deny in the temporary key policy.'
        : 'Access Denied: the temporary key policy does not allow this request.',
    );
  }
}
