import { decode, encode, type SourceMapSegment } from '@jridgewell/sourcemap-codec';

/** The parts of a version 3 source map that esbuild writes. */
export interface SourceMapV3 {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  sourceRoot?: string;
  sourcesContent?: (string | null)[];
}

/**
 * Keeps only the mappings into the project's own sources. A Lambda's map exists so that a stack
 * trace names our TypeScript file and line; mappings into node_modules (the AWS SDK, zod, jose:
 * about four fifths of every map) only rename frames inside libraries, and they doubled the
 * size of every zip. Code from a library becomes unmapped rather than being dropped, so that no
 * library frame is ever reported as the project line before it; such frames keep their position
 * in the bundle file. Sources and names no longer used are removed and the rest renumbered.
 */
export function keepProjectMappings(map: SourceMapV3, isProject: (source: string) => boolean): SourceMapV3 {
  const sources: string[] = [];
  const names: string[] = [];
  const sourceIndex = new Map<number, number>();
  const nameIndex = new Map<number, number>();
  const renumber = (index: Map<number, number>, into: string[], from: string[], i: number) => {
    let j = index.get(i);
    if (j === undefined) {
      j = into.push(from[i]!) - 1;
      index.set(i, j);
    }
    return j;
  };

  const lines = decode(map.mappings).map((line) => {
    const kept: SourceMapSegment[] = [];
    for (const seg of line) {
      const mapped = seg.length > 1 && isProject(map.sources[seg[1]!]!);
      if (mapped) {
        const [col, src, srcLine, srcCol] = seg as [number, number, number, number];
        const out: SourceMapSegment = [col, renumber(sourceIndex, sources, map.sources, src), srcLine, srcCol];
        kept.push(seg.length === 5 ? [...out, renumber(nameIndex, names, map.names, seg[4])] : out);
      } else if (kept.length === 0 || kept.at(-1)!.length > 1) {
        // Unmapped from here: ends the project mapping before it (a run of library code needs only
        // one marker), and at a line's start keeps lookups from falling back to an earlier line.
        kept.push([seg[0]]);
      }
    }
    return kept;
  });

  // Node's reader takes a one-field segment that ends the string as a copy of the one before it
  // (it does not when a separator follows), so such an ending gets an empty line after it.
  const mappings = encode(lines) + (lines.at(-1)?.at(-1)?.length === 1 ? ';' : '');
  const out: SourceMapV3 = { ...map, sources, names, mappings };
  if (map.sourcesContent) out.sourcesContent = [...sourceIndex.keys()].map((i) => map.sourcesContent![i] ?? null);
  return out;
}
