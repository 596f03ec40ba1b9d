import { describe, expectTypeOf, it } from 'vitest';
import type { AdminListResponse, SweepResponse } from '../../shared/api/admin-response-schemas.ts';
import type { CredentialsResponse } from '../../shared/api/credentials-schemas.ts';
import type { PartUrlsResponse } from '../../shared/api/response-schemas.ts';
import type { CredentialsGrant } from '../../shared/core/issue-credentials.ts';
import type { listUploads } from '../../shared/core/list-uploads.ts';
import type { PartUrl } from '../../shared/core/part-urls.ts';
import type { SweepReport } from '../../shared/core/sweep.ts';

/**
 * The core builds these response bodies itself (the functions send them as they are), so their
 * types must be the response schemas' types: `npm run typecheck` fails here when one side gains a
 * field the other lacks. (The upload mappers return the schema types directly: core/upload-view.ts.)
 */
describe('bodies the core builds have the response schemas types', () => {
  it('credentials, the admin listing, the sweep report, part URLs', () => {
    expectTypeOf<CredentialsGrant>().toEqualTypeOf<CredentialsResponse>();
    expectTypeOf<Awaited<ReturnType<typeof listUploads>>>().toEqualTypeOf<AdminListResponse>();
    expectTypeOf<SweepReport>().toEqualTypeOf<SweepResponse>();
    expectTypeOf<PartUrl>().toEqualTypeOf<PartUrlsResponse['urls'][number]>();
  });
});
