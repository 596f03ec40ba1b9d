import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../local/routes.ts';
import { adminUploadObject } from '../../shared/api/admin-response-schemas.ts';
import { ERROR_STATUSES } from '../../shared/api/error-statuses.ts';
import { uploadObject } from '../../shared/api/response-schemas.ts';
import { configSchema } from '../../shared/config.ts';

/**
 * docs/API.md is the repository's own reference of the HTTP API: it must name every route, variable
 * and error code the code has (and no route or variable the code does not have), and the user-facing
 * Markdown must never point outside the repository, where readers of the repository cannot follow.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const API_DOC = join(ROOT, 'docs', 'API.md');
const read = (path: string) => readFileSync(path, 'utf8');
const doc = read(API_DOC);

/** The text of one `## ` section of docs/API.md, up to the next one. */
function section(title: string): string {
  const start = doc.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`docs/API.md has no "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** The backticked names in the first column of a section's table rows (`| \`NAME\` | ...`). */
function firstColumn(text: string): string[] {
  return [...text.matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1]!);
}

describe('docs/API.md covers the code', () => {
  it('every route of local/routes.ts, as "METHOD /path"', () => {
    const missing = ROUTES.map((r) => `${r.method} ${r.path}`).filter((route) => !doc.includes(route));
    expect(missing, 'routes missing from docs/API.md').toEqual([]);
  });

  it('no route heading for a route local/routes.ts does not have', () => {
    const known = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    const headings = [...doc.matchAll(/^#{2,4} `((?:GET|POST|PUT|DELETE|PATCH) \/\S*)`/gm)].map((m) => m[1]!);
    expect(headings.length).toBeGreaterThan(0);
    expect(
      headings.filter((h) => !known.has(h)),
      'documented routes that do not exist',
    ).toEqual([]);
  });

  it('every variable of shared/config.ts in the configuration table, and only those', () => {
    const variables = Object.keys(configSchema().shape);
    const rows = firstColumn(section('Configuration'));
    expect(
      variables.filter((v) => !rows.includes(v)),
      'variables missing from the table',
    ).toEqual([]);
    expect(
      rows.filter((v) => !variables.includes(v)),
      'documented variables shared/config.ts does not read',
    ).toEqual([]);
  });

  it('every error code with the statuses it is sent with, and no other code', () => {
    const rows = new Map(
      [...section('Errors').matchAll(/^\| *([\d/]+) *\| `([A-Z_]+)` +\|/gm)].map((m) => [m[2]!, m[1]!]),
    );
    const codes = Object.keys(ERROR_STATUSES) as (keyof typeof ERROR_STATUSES)[];
    for (const code of codes) {
      expect(rows.get(code), `${code} in the error table`).toBe(ERROR_STATUSES[code].join('/'));
    }
    expect(
      [...rows.keys()].filter((c) => !codes.includes(c as (typeof codes)[number])),
      'documented error codes shared/errors.ts does not have',
    ).toEqual([]);
  });

  it('every field of the upload object, and the admin fields', () => {
    const text = section('The upload object');
    const fields = Object.keys(uploadObject.shape);
    expect(firstColumn(text).sort()).toEqual([...fields].sort());
    for (const extra of Object.keys(adminUploadObject.shape).filter((f) => !fields.includes(f))) {
      expect(text, `admin field ${extra}`).toContain(`\`${extra}\``);
    }
  });
});

/** The user-facing Markdown: the READMEs and everything under docs/. */
const MARKDOWN = [
  'README.md',
  'client/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

const inside = (path: string) => {
  const rel = relative(ROOT, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, title] of prose.matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = title!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const LINK = /\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?$/gm;

describe.each(MARKDOWN)('%s stays inside the repository', (file) => {
  const path = join(ROOT, file);
  const text = read(path);
  const here = dirname(path);
  const targets = [...[...text.matchAll(LINK)].map((m) => m[2]!), ...[...text.matchAll(REFERENCE)].map((m) => m[1]!)];

  it('names no absolute path or file URL of the machine it was written on', () => {
    expect(text).not.toMatch(/\/work\//);
    expect(text).not.toMatch(/file:\/\//i);
  });

  it('every relative link resolves to a file of the repository (and its heading, if it names one)', () => {
    const problems: string[] = [];
    for (const target of targets) {
      if (/^(https?|mailto):/i.test(target)) continue;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        problems.push(`${target}: not a web link`);
        continue;
      }
      const [rawPath = '', anchor] = target.split('#', 2);
      const resolved = rawPath === '' ? path : resolve(here, decodeURIComponent(rawPath));
      if (rawPath.startsWith('/') || !inside(resolved)) problems.push(`${target}: outside the repository`);
      else if (!existsSync(resolved)) problems.push(`${target}: no such file`);
      else if (anchor && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor)) {
        problems.push(`${target}: no such heading`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every ../ path stays inside the repository', () => {
    const escaping = [...text.matchAll(/(?:\.\.\/)+[^\s`'")\]]*/g)]
      .map((m) => m[0])
      .filter((p) => !inside(resolve(here, p)));
    expect(escaping).toEqual([]);
  });

  it('API.md always means docs/API.md, never the contract outside the repository', () => {
    // A link that resolves to docs/API.md is unambiguous whatever its text says.
    const unlinked = text.replace(LINK, (whole, _label: string, target: string) => {
      const linked = target.split('#', 1)[0]!;
      return linked && resolve(here, linked) === API_DOC ? '' : whole;
    });
    const ambiguous = [...unlinked.matchAll(/(?<![\w./-])((?:[\w.-]+\/)*)API\.md/g)]
      .map((m) => m[0])
      .filter((ref) => resolve(here, ref) !== API_DOC && resolve(ROOT, ref) !== API_DOC);
    expect(ambiguous).toEqual([]);
  });
});
