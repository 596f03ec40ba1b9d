import { globSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

/**
 * One project per folder under test/, so a slice runs by name (`vitest run --project contract`)
 * while `npm test` still runs them all in one pool. `unit` and `client` need no servers (the
 * client tests run against an in-memory fake backend): `npm run test:unit` is the fast loop.
 */
const PROJECTS = ['unit', 'client', 'contract', 'integration', 'emulator', 'e2e', 'deploy', 'bench'] as const;

// A test in a folder no project includes would silently never run: refuse to start instead.
const orphans = globSync('test/**/*.test.ts', { cwd: import.meta.dirname }).filter(
  (f) => !PROJECTS.some((p) => f.startsWith(`test/${p}/`)),
);
if (orphans.length > 0) throw new Error(`no vitest project includes ${orphans.join(', ')}: add its folder to PROJECTS`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start real servers (COS emulator, DynamoDB Local); two cores here.
    // A root option: it caps the workers of all projects together, not of each.
    maxWorkers: 2,
    // Projects inherit the options above (`extends` defaults to true).
    projects: PROJECTS.map((name) => ({ test: { name, include: [`test/${name}/**/*.test.ts`] } })),
  },
});
