import { SourceMap, type SourceMapPayload } from 'node:module';
import { encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepProjectMappings, type SourceMapV3 } from '../../build/project-source-map.ts';

const SOURCES = [
  '../../functions/a.ts',
  '../../node_modules/lib/x.js',
  '../../shared/b.ts',
  '../../node_modules/y/z.js',
];
const NAMES = ['handler', 'lib', 'store', 'other'];
const isProject = (s: string) => !s.includes('node_modules/');

/**
 * What Node itself (the reader behind --enable-source-maps) makes of a position. Names are
 * compared only where a test sets them: for a segment without one, Node reports names[0].
 */
const lookup = (map: SourceMapV3, line: number, col: number, withName = false) => {
  // @types/node asks for every optional field of the format; Node reads the ones present.
  const e = new SourceMap(map as SourceMapPayload).findEntry(line, col) as Record<string, unknown>;
  if (e.originalSource === undefined) return null;
  const at = { source: e.originalSource, line: e.originalLine, col: e.originalColumn };
  return withName ? { ...at, name: e.name } : at;
};

const segment = fc
  .tuple(
    fc.integer({ min: 0, max: SOURCES.length - 1 }),
    fc.nat(50),
    fc.nat(80),
    fc.option(fc.integer({ min: 0, max: NAMES.length - 1 }), { nil: undefined }),
    fc.boolean(),
  )
  .map(([src, line, col, name, unmapped]) => ({ src, line, col, name, unmapped }));
const generatedLine = fc.uniqueArray(fc.tuple(fc.nat(60), segment), { selector: ([c]) => c, maxLength: 12 });
const sourceMap = fc.array(generatedLine, { maxLength: 5 }).map((lines): SourceMapV3 => ({
  version: 3,
  sources: SOURCES,
  names: NAMES,
  // The trailing empty line keeps Node's reader from misreading a one-field segment at the very
  // end (see keepProjectMappings) in the original too.
  mappings: `${encode(
    lines.map((segs) =>
      [...segs]
        .sort(([a], [b]) => a - b)
        .map(([col, s]): SourceMapSegment => {
          if (s.unmapped) return [col];
          return s.name === undefined ? [col, s.src, s.line, s.col] : [col, s.src, s.line, s.col, s.name];
        }),
    ),
  )};`,
}));

describe('keepProjectMappings', () => {
  it('maps every position into project code as before and every other position to nothing', () => {
    fc.assert(
      fc.property(sourceMap, (map) => {
        const kept = keepProjectMappings(map, isProject);
        for (let line = 0; line < 6; line++) {
          for (let col = 0; col < 64; col++) {
            const before = lookup(map, line, col);
            const after = lookup(kept, line, col);
            expect(after).toEqual(before && isProject(String(before.source)) ? before : null);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ends with an empty line when the last segment is unmapped, which Node would misread', () => {
    const map: SourceMapV3 = {
      version: 3,
      sources: SOURCES,
      names: [],
      mappings: encode([
        [
          [0, 0, 0, 0],
          [1, 1, 0, 0],
        ],
      ]),
    };
    const kept = keepProjectMappings(map, isProject);
    expect(kept.mappings).toBe('AAAA,C;');
    expect(lookup(kept, 0, 3)).toBeNull();
  });

  it('keeps only the sources and names still used, renumbered', () => {
    const map: SourceMapV3 = {
      version: 3,
      sources: SOURCES,
      names: NAMES,
      mappings: encode([
        [
          [0, 1, 0, 0, 1],
          [10, 2, 3, 4, 2],
          [20, 3, 1, 1],
          [30, 1, 2, 2],
          [40, 0, 7, 0, 0],
        ],
      ]),
    };
    const kept = keepProjectMappings(map, isProject);
    expect(kept.sources).toEqual(['../../shared/b.ts', '../../functions/a.ts']);
    expect(kept.names).toEqual(['store', 'handler']);
    expect(lookup(kept, 0, 12, true)).toMatchObject({ line: 3, col: 4, name: 'store' });
    expect(lookup(kept, 0, 25)).toBeNull();
    expect(lookup(kept, 0, 35)).toBeNull();
    expect(lookup(kept, 0, 45, true)).toMatchObject({ line: 7, name: 'handler' });
  });

  it('keeps sourcesContent in step with the sources it keeps', () => {
    const map: SourceMapV3 = {
      version: 3,
      sources: SOURCES,
      names: [],
      sourcesContent: ['a', 'x', 'b', 'z'],
      mappings: encode([
        [
          [0, 2, 0, 0],
          [5, 1, 0, 0],
          [9, 0, 0, 0],
        ],
      ]),
    };
    expect(keepProjectMappings(map, isProject).sourcesContent).toEqual(['b', 'a']);
  });
});
