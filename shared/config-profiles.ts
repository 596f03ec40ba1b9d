import { KEY_SEGMENT, PROFILE_NAME, type UploadProfile } from './core/profiles.ts';
import * as z from './zod.ts';

/** A comma string (`image/*,video/mp4`) or a JSON list of the same entries; the entries, trimmed. */
const list = (entry: z.ZodMiniString<string>) =>
  z.pipe(
    z.pipe(
      z.union([z.string(), z.array(z.string())]),
      z.transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean)),
    ),
    z.array(entry).check(z.minLength(1, 'must name at least one')),
  );

const mediaPattern = () => z.string().check(z.regex(/^[\w.+*-]+\/[\w.+*-]+$/));
const storageClass = () => z.string().check(z.regex(/^[A-Z][A-Z_]*$/, 'must be a COS storage class like STANDARD_IA'));
const count = () => z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER));

/** One profile: unknown fields are refused, so a typo (`maxUploadByte`) cannot pass as "no limit". */
const profileSchema = () =>
  z.strictObject({
    maxUploadBytes: z.optional(count()),
    allowedContentTypes: z.optional(list(mediaPattern())),
    maxOpenUploadsPerOwner: z.optional(count()),
    defaultPartBytes: z.optional(count()),
    allowedStorageClasses: z.optional(list(storageClass())),
    storageClass: z.optional(storageClass()),
    keySegment: z.optional(
      z.string().check(z.regex(KEY_SEGMENT, 'must be one key path segment of [A-Za-z0-9._-], not starting with a dot')),
    ),
  });

const profilesSchema = () =>
  z.record(z.string(), profileSchema()).check(
    z.superRefine((profiles, ctx) => {
      for (const name of Object.keys(profiles)) {
        if (!PROFILE_NAME.test(name)) {
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'a profile name must match ^[a-z0-9][a-z0-9-]{0,31}$',
          });
        }
      }
    }),
  );

/**
 * `UPLOAD_PROFILES`: a JSON object of named profiles. Only the shape is checked here; config.ts
 * checks each against the global limits (core/profiles.ts profileProblems), where it knows them.
 * Schemas are built when config.ts builds its own (at the first parse), not at import.
 */
export const uploadProfilesVariable = () =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((s, ctx): unknown => {
        try {
          return JSON.parse(s);
        } catch {
          ctx.issues.push({ code: 'custom', input: s, message: 'must be a JSON object of upload profiles' });
          return z.NEVER;
        }
      }),
    ),
    z.pipe(
      profilesSchema(),
      z.transform((profiles): Record<string, UploadProfile> => {
        const out: Record<string, UploadProfile> = {};
        for (const [name, p] of Object.entries(profiles)) {
          const { allowedContentTypes, ...rest } = p;
          out[name] = {
            ...rest,
            ...(allowedContentTypes ? { allowedContentTypes: allowedContentTypes.join(',') } : {}),
            keySegment: p.keySegment ?? name,
          };
        }
        return out;
      }),
    ),
  );
