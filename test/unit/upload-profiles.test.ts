import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config.ts';
import { patternWithin } from '../../shared/core/content-type.ts';
import { objectKey, ownerHash, uploadIdFromKey } from '../../shared/core/keys.ts';
import { resolveLimits } from '../../shared/core/profiles.ts';
import { publicLimits } from '../../shared/core/public-limits.ts';
import { limitsFrom } from '../../shared/runtime/runtime.ts';

const base = { COS_SECRET_ID: 'AKIDx', COS_SECRET_KEY: 'secret', AUTH_JWT_SECRET: 'a-development-secret-0123' };
const refusal = (env: Record<string, string>) => {
  try {
    parseConfig({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('configuration was accepted');
};
const profiles = (p: unknown, env: Record<string, string> = {}) => ({ UPLOAD_PROFILES: JSON.stringify(p), ...env });

describe('UPLOAD_PROFILES (docs/API.md "Upload profiles")', () => {
  it('is unset by default; a profile takes lists or comma strings, and its keySegment defaults to its name', () => {
    expect(parseConfig(base).UPLOAD_PROFILES).toEqual({});
    const c = parseConfig({
      ...base,
      ALLOWED_STORAGE_CLASSES: 'STANDARD, STANDARD_IA',
      ...profiles({
        avatars: {
          maxUploadBytes: 5_000_000,
          allowedContentTypes: ['image/png', 'image/jpeg'],
          maxOpenUploadsPerOwner: 3,
        },
        videos: { allowedContentTypes: 'video/*', keySegment: 'v', storageClass: 'STANDARD_IA' },
      }),
    });
    expect(c.UPLOAD_PROFILES).toEqual({
      avatars: {
        maxUploadBytes: 5_000_000,
        allowedContentTypes: 'image/png,image/jpeg',
        maxOpenUploadsPerOwner: 3,
        keySegment: 'avatars',
      },
      videos: { allowedContentTypes: 'video/*', keySegment: 'v', storageClass: 'STANDARD_IA' },
    });
    expect(c.ALLOWED_STORAGE_CLASSES).toEqual(['STANDARD', 'STANDARD_IA']);
  });

  it('stops start-up naming the variable and the profile: bad JSON, bad shape, unknown fields, bad names', () => {
    expect(refusal({ UPLOAD_PROFILES: '{"avatars":' })).toMatch(/UPLOAD_PROFILES: must be a JSON object/);
    expect(refusal(profiles(['avatars']))).toMatch(/UPLOAD_PROFILES: .*record/);
    expect(refusal(profiles({ avatars: { maxUploadByte: 5 } }))).toMatch(/UPLOAD_PROFILES\.avatars: .*maxUploadByte/);
    expect(refusal(profiles({ 'Big Files': {} }))).toMatch(/UPLOAD_PROFILES\.Big Files: a profile name must match/);
    expect(refusal(profiles({ avatars: { maxUploadBytes: -1 } }))).toMatch(/UPLOAD_PROFILES\.avatars\.maxUploadBytes/);
    expect(refusal(profiles({ avatars: { maxUploadBytes: '5MB' } }))).toMatch(
      /UPLOAD_PROFILES\.avatars\.maxUploadBytes/,
    );
    expect(refusal(profiles({ avatars: { allowedContentTypes: [] } }))).toMatch(
      /UPLOAD_PROFILES\.avatars\.allowedContentTypes/,
    );
    expect(refusal(profiles({ avatars: { allowedContentTypes: 'image png' } }))).toMatch(
      /UPLOAD_PROFILES\.avatars\.allowedContentTypes/,
    );
    for (const keySegment of ['..', '.hidden', 'a/b', 'a*', '', 'x'.repeat(65)]) {
      expect(refusal(profiles({ avatars: { keySegment } }))).toMatch(/UPLOAD_PROFILES\.avatars\.keySegment/);
    }
  });

  it('stops start-up when a profile would raise a global limit, naming each profile and field', () => {
    const message = refusal({
      MAX_UPLOAD_BYTES: String(100 * 1024 ** 2),
      MAX_OPEN_UPLOADS_PER_OWNER: '10',
      ALLOWED_CONTENT_TYPES: 'image/*,video/mp4',
      ...profiles({
        big: { maxUploadBytes: 200 * 1024 ** 2 },
        greedy: { maxOpenUploadsPerOwner: 11 },
        anything: { allowedContentTypes: '*/*' },
        svg: { allowedContentTypes: 'image/svg+xml' },
        movies: { allowedContentTypes: 'video/*' },
        cold: { allowedStorageClasses: ['STANDARD', 'ARCHIVE'] },
        wrongdefault: { storageClass: 'STANDARD_IA' },
        tiny: { defaultPartBytes: 1024 },
      }),
    });
    expect(message).toMatch(/UPLOAD_PROFILES\.big\.maxUploadBytes: must be <= MAX_UPLOAD_BYTES/);
    expect(message).toMatch(/UPLOAD_PROFILES\.greedy\.maxOpenUploadsPerOwner: must be <= MAX_OPEN_UPLOADS_PER_OWNER/);
    expect(message).toMatch(/UPLOAD_PROFILES\.anything\.allowedContentTypes: not within ALLOWED_CONTENT_TYPES: \*\/\*/);
    expect(message).toMatch(/UPLOAD_PROFILES\.svg\.allowedContentTypes: not within .*image\/svg\+xml/);
    expect(message).toMatch(/UPLOAD_PROFILES\.movies\.allowedContentTypes: not within .*video\/\*/);
    expect(message).toMatch(
      /UPLOAD_PROFILES\.cold\.allowedStorageClasses: not within ALLOWED_STORAGE_CLASSES: ARCHIVE/,
    );
    expect(message).toMatch(/UPLOAD_PROFILES\.wrongdefault\.storageClass: must be one of/);
    expect(message).toMatch(/UPLOAD_PROFILES\.tiny\.defaultPartBytes/);
    // Within bounds is fine, at the bounds too.
    const ok = parseConfig({
      ...base,
      MAX_UPLOAD_BYTES: String(100 * 1024 ** 2),
      ALLOWED_CONTENT_TYPES: 'image/*,video/mp4,image/svg+xml',
      ...profiles({
        pics: { maxUploadBytes: 100 * 1024 ** 2, allowedContentTypes: 'image/*,image/x-*,image/svg+xml' },
      }),
    });
    expect(Object.keys(ok.UPLOAD_PROFILES)).toEqual(['pics']);
  });
});

describe('a profile pattern within the global allow-list', () => {
  it('is a pattern the list admits as a pattern, with SVG only where named', () => {
    expect(patternWithin('image/png', 'image/*')).toBe(true);
    expect(patternWithin('image/*', 'image/*')).toBe(true);
    expect(patternWithin('image/x-*', 'image/*')).toBe(true);
    expect(patternWithin('image/*', '*/*')).toBe(true);
    expect(patternWithin('*/*', 'image/*,video/*')).toBe(false);
    expect(patternWithin('image/*', 'image/png')).toBe(false);
    expect(patternWithin('image/svg+xml', '*/*')).toBe(false);
    expect(patternWithin('image/svg+xml', 'image/svg+xml')).toBe(true);
  });
});

describe('resolveLimits', () => {
  const limits = limitsFrom(
    parseConfig({
      ...base,
      ALLOWED_STORAGE_CLASSES: 'STANDARD,STANDARD_IA,ARCHIVE',
      ...profiles({
        avatars: { maxUploadBytes: 5_000_000, allowedContentTypes: 'image/*', maxOpenUploadsPerOwner: 3 },
        archive: { allowedStorageClasses: 'ARCHIVE', keySegment: 'cold', defaultPartBytes: 16 * 1024 ** 2 },
      }),
    }),
  );

  it('gives the global limits without a profile, null for an unknown one', () => {
    const g = resolveLimits(limits, undefined)!;
    expect(g).toMatchObject({
      profile: null,
      keySegment: null,
      maxOpenInProfile: undefined,
      defaultStorageClass: 'STANDARD',
    });
    expect(g.maxUploadBytes).toBe(limits.maxUploadBytes);
    expect(resolveLimits(limits, 'nope')).toBeNull();
    expect(resolveLimits(limits, 'constructor')).toBeNull();
  });

  it("narrows by the profile's overrides and keeps the rest global", () => {
    expect(resolveLimits(limits, 'avatars')).toMatchObject({
      profile: 'avatars',
      keySegment: 'avatars',
      maxUploadBytes: 5_000_000,
      allowedContentTypes: 'image/*',
      maxOpenInProfile: 3,
      maxOpenUploadsPerOwner: 100,
      defaultPartBytes: limits.defaultPartBytes,
      allowedStorageClasses: ['STANDARD', 'STANDARD_IA', 'ARCHIVE'],
      defaultStorageClass: 'STANDARD',
    });
    // The only class it allows is its default.
    expect(resolveLimits(limits, 'archive')).toMatchObject({
      keySegment: 'cold',
      allowedStorageClasses: ['ARCHIVE'],
      defaultStorageClass: 'ARCHIVE',
      defaultPartBytes: 16 * 1024 ** 2,
    });
  });

  it('GET /v1/limits lists each profile with the fields it overrides', () => {
    const view = publicLimits(limits);
    expect(view.allowedStorageClasses).toEqual(['STANDARD', 'STANDARD_IA', 'ARCHIVE']);
    expect(view.profiles).toEqual({
      avatars: {
        maxUploadBytes: 5_000_000,
        allowedContentTypes: ['image/*'],
        maxOpenUploadsPerOwner: 3,
        keySegment: 'avatars',
      },
      archive: { allowedStorageClasses: ['ARCHIVE'], defaultPartBytes: 16 * 1024 ** 2, keySegment: 'cold' },
    });
  });
});

describe('profile keys', () => {
  it('give their upload id back, so the orphan sweep matches them to their records', () => {
    const id = 'upl_0123456789abcdefghijklmnop';
    const plain = objectKey('u/', 'alice', id, 'a.png');
    const profiled = objectKey('u/avatars/', 'alice', id, 'a.png');
    expect(profiled).toBe(`u/avatars/${ownerHash('alice')}/${id}/a.png`);
    expect(uploadIdFromKey('u/', plain)).toBe(id);
    expect(uploadIdFromKey('u/', profiled)).toBe(id);
    // A segment that looks like an owner hash or an id cannot pass for either.
    expect(uploadIdFromKey('u/', objectKey('u/0123456789abcdef/', 'alice', id, 'a.png'))).toBe(id);
    expect(uploadIdFromKey('u/', objectKey('u/upl_zzzz/', 'alice', id, 'a.png'))).toBe(id);
    expect(uploadIdFromKey('u/', `u/avatars/not-a-hash/${id}/a.png`)).toBeNull();
    expect(uploadIdFromKey('u/', `u/${ownerHash('alice')}/${id}`)).toBeNull();
  });
});
