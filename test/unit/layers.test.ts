import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering is a lint rule (eslint.config.js), so it must bite: these imports, placed where the
 * rule forbids them, are errors; the same import where it is allowed is not. `npm run lint` then
 * holds the whole tree to it.
 */
const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint-enforced layers', () => {
  it('the core imports neither config.ts nor an adapter, http or the runtime', async () => {
    for (const spec of [
      '../config.ts',
      '../cos/cos-object-storage.ts',
      '../sts/policy.ts',
      '../store/sqlite-store.ts',
      '../http/route.ts',
      '../runtime/core-deps.ts',
    ]) {
      expect(await restricted('shared/core/fixture.ts', `import * as m from '${spec}';\nvoid m;\n`), spec).toHaveLength(
        1,
      );
    }
    expect(await restricted('shared/core/fixture.ts', "import type { UploadRecord } from '../ports.ts';\n")).toEqual(
      [],
    );
    // An adapter may read the configuration.
    expect(
      await restricted('shared/sts/fixture.ts', "import { appIdOf } from '../config.ts';\nvoid appIdOf;\n"),
    ).toEqual([]);
  });

  it('production code imports nothing from local/, test/ or bench/', async () => {
    for (const [file, spec] of [
      ['functions/fixture.ts', '../local/stack.ts'],
      ['shared/runtime/fixture.ts', '../../test/helpers/test-stack.ts'],
      ['client/fixture.ts', '../bench/lib/stats.ts'],
      ['shared/core/fixture.ts', '../../local/cos/server.ts'],
    ]) {
      const messages = await restricted(file!, `import * as m from '${spec}';\nvoid m;\n`);
      expect(
        messages.some((m) => m.includes('production code must not import')),
        `${file} → ${spec}`,
      ).toBe(true);
    }
    expect(await restricted('local/fixture.ts', "import * as m from '../shared/config.ts';\nvoid m;\n")).toEqual([]);
  });

  it('shared code still imports zod only through shared/zod.ts, the core included', async () => {
    expect(await restricted('shared/core/fixture.ts', "import * as z from 'zod';\nvoid z;\n")).toHaveLength(1);
    expect(await restricted('functions/fixture.ts', "import * as z from 'zod/mini';\nvoid z;\n")).toHaveLength(1);
  });
});
