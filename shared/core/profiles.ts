import { COS_MAX_PART_BYTES } from './cos-limits.ts';
import { contentTypeAllowed, patternWithin } from './content-type.ts';
import type { Limits } from './limits.ts';

/** A profile's name (`UPLOAD_PROFILES` keys, create's `profile`): short, lower case, URL- and log-safe. */
export const PROFILE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
/**
 * A key path segment: no `/`, no leading dot (so never `.` or `..`), no `*` or `?` (a `*` in a key
 * becomes a wildcard in the STS policy resource naming it, see keys.ts), at most 64 bytes.
 */
export const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/**
 * One upload profile as configured: the global limits it overrides, each at most as permissive as
 * the global one (profileProblems). `allowedContentTypes` is a comma list like ALLOWED_CONTENT_TYPES.
 */
export interface UploadProfile {
  maxUploadBytes?: number;
  allowedContentTypes?: string;
  maxOpenUploadsPerOwner?: number;
  defaultPartBytes?: number;
  allowedStorageClasses?: readonly string[];
  storageClass?: string;
  /** Where its keys live: `KEY_PREFIX<keySegment>/...`; the profile's name when not configured. */
  keySegment: string;
}

/** The fields a profile may override, as the global limits name them. */
type Overridable = 'maxUploadBytes' | 'allowedContentTypes' | 'maxOpenUploadsPerOwner' | 'defaultPartBytes';

/**
 * What a create is held to: the global limits, narrowed by its profile when it names one. Both
 * quotas hold: the owner's open uploads (global) and, under a profile, its open uploads in it.
 */
export interface EffectiveLimits extends Limits {
  profile: string | null;
  /** The key segment after KEY_PREFIX; null without a profile. */
  keySegment: string | null;
  /** The profile's own quota; undefined without a profile. */
  maxOpenInProfile: number | undefined;
  /** The storage class a create gets when it asks for none. */
  defaultStorageClass: string;
}

const DEFAULT_STORAGE_CLASS = 'STANDARD';

/**
 * The limits a create under `profileName` is held to. An unknown name is `null` (the route answers
 * 400 on `profile`). Content types are checked against both lists — the profile's is within the
 * global one, so that is belt and braces — and the global owner quota keeps counting every upload.
 */
export function resolveLimits(limits: Limits, profileName: string | undefined): EffectiveLimits | null {
  const base = {
    ...limits,
    profile: null,
    keySegment: null,
    maxOpenInProfile: undefined,
    defaultStorageClass: limits.allowedStorageClasses.includes(DEFAULT_STORAGE_CLASS)
      ? DEFAULT_STORAGE_CLASS
      : (limits.allowedStorageClasses[0] ?? DEFAULT_STORAGE_CLASS),
  };
  if (profileName === undefined) return base;
  if (!Object.hasOwn(limits.profiles, profileName)) return null;
  const p = limits.profiles[profileName]!;
  const allowedStorageClasses = p.allowedStorageClasses ?? limits.allowedStorageClasses;
  return {
    ...base,
    profile: profileName,
    keySegment: p.keySegment,
    maxUploadBytes: p.maxUploadBytes ?? limits.maxUploadBytes,
    allowedContentTypes: p.allowedContentTypes ?? limits.allowedContentTypes,
    maxOpenInProfile: p.maxOpenUploadsPerOwner,
    defaultPartBytes: p.defaultPartBytes ?? limits.defaultPartBytes,
    allowedStorageClasses,
    defaultStorageClass:
      p.storageClass ??
      (allowedStorageClasses.includes(base.defaultStorageClass) ? base.defaultStorageClass : allowedStorageClasses[0]!),
  };
}

/** Admits the content type under both the global allow-list and the profile's. */
export const contentTypeAllowedIn = (contentType: string, global: string, effective: EffectiveLimits): boolean =>
  contentTypeAllowed(contentType, global) && contentTypeAllowed(contentType, effective.allowedContentTypes);

/** The global limits a profile is bounded by. */
export type ProfileBounds = Pick<
  Limits,
  'maxUploadBytes' | 'allowedContentTypes' | 'maxOpenUploadsPerOwner' | 'minPartBytes' | 'allowedStorageClasses'
>;

/**
 * Why a profile would raise a global limit (none: []). "Within" for content types means every
 * pattern of the profile is admitted by the global list as a pattern (`image/png` and `image/*`
 * within `image/*`; `*\/*` not within `image/*`; `image/svg+xml` only where the global list names it).
 */
export function profileProblems(p: UploadProfile, g: ProfileBounds): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const add = (field: keyof UploadProfile, message: string) => out.push({ field, message });
  if (p.maxUploadBytes !== undefined && p.maxUploadBytes > g.maxUploadBytes) {
    add('maxUploadBytes', `must be <= MAX_UPLOAD_BYTES (${g.maxUploadBytes})`);
  }
  if (p.maxOpenUploadsPerOwner !== undefined && p.maxOpenUploadsPerOwner > g.maxOpenUploadsPerOwner) {
    add('maxOpenUploadsPerOwner', `must be <= MAX_OPEN_UPLOADS_PER_OWNER (${g.maxOpenUploadsPerOwner})`);
  }
  if (
    p.defaultPartBytes !== undefined &&
    (p.defaultPartBytes < g.minPartBytes || p.defaultPartBytes > COS_MAX_PART_BYTES)
  ) {
    add('defaultPartBytes', `must be between MIN_PART_BYTES (${g.minPartBytes}) and 5 GiB`);
  }
  if (p.allowedContentTypes !== undefined) {
    const outside = splitList(p.allowedContentTypes).filter((t) => !patternWithin(t, g.allowedContentTypes));
    if (outside.length > 0) add('allowedContentTypes', `not within ALLOWED_CONTENT_TYPES: ${outside.join(', ')}`);
  }
  const classes = p.allowedStorageClasses ?? g.allowedStorageClasses;
  const extra = classes.filter((c) => !g.allowedStorageClasses.includes(c));
  if (extra.length > 0) add('allowedStorageClasses', `not within ALLOWED_STORAGE_CLASSES: ${extra.join(', ')}`);
  if (p.storageClass !== undefined && !classes.includes(p.storageClass)) {
    add('storageClass', `must be one of its allowed storage classes (${classes.join(', ')})`);
  }
  return out;
}

const splitList = (list: string) =>
  list
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** `GET /v1/limits`'s `profiles`: each profile with the fields it overrides, resolved. */
export function publicProfiles(limits: Limits): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, p] of Object.entries(limits.profiles)) {
    const view: Record<string, unknown> = {};
    const overridden: Overridable[] = ['maxUploadBytes', 'maxOpenUploadsPerOwner', 'defaultPartBytes'];
    for (const f of overridden) if (p[f] !== undefined) view[f] = p[f];
    if (p.allowedContentTypes !== undefined) view.allowedContentTypes = splitList(p.allowedContentTypes);
    if (p.allowedStorageClasses !== undefined) view.allowedStorageClasses = [...p.allowedStorageClasses];
    if (p.storageClass !== undefined) view.storageClass = p.storageClass;
    view.keySegment = p.keySegment;
    out[name] = view;
  }
  return out;
}
