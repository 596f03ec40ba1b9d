import type { PartRecord } from '../ports.ts';
import { encodePart, partsOfChunk } from './dynamodb-item.ts';
import { CHUNK_PREFIX, chunkOf, chunkSk, partAttr, ttlAfter, uploadPk } from './dynamodb-keys.ts';
import type { TableClient } from './dynamodb-table-client.ts';

/**
 * The part ledger: chunk items of up to 100 parts, one attribute per part (`p<n>`).
 *
 * One UpdateItem per chunk touched, `SET #p17 = :p17, #p18 = :p18, ...`, so a batch of 1,000
 * consecutive parts is 10 writes, and two clients recording different parts of one chunk at once
 * both land: each SET replaces only its own attribute, never the whole item. (Top-level attributes
 * rather than entries of one `parts` map: SET on a path inside a map fails while the map does not
 * exist yet, which would cost a second write for the first part of every chunk.)
 *
 * Chunks carry ttl = expiresAt + 30 days from their first write, so finishing an upload never has
 * to rewrite its (up to 100) chunks. The META item gets ttl = terminal time + 30 days; an upload is
 * terminal by about expiresAt, so the two go within days of each other. Either order is harmless:
 * callers read the upload before its parts, and a ledger whose upload is gone is never read.
 */
export async function writeParts(
  db: TableClient,
  id: string,
  parts: readonly PartRecord[],
  expiresAt: string,
): Promise<void> {
  // Later entries for the same part number replace earlier ones, as a later call would.
  const chunks = new Map<number, Map<number, PartRecord>>();
  for (const p of parts) {
    const c = chunkOf(p.partNumber);
    const chunk = chunks.get(c) ?? new Map<number, PartRecord>();
    chunks.set(c, chunk);
    chunk.set(p.partNumber, p);
  }
  const ttl = ttlAfter(expiresAt);
  await Promise.all(
    [...chunks].map(([c, chunk]) => {
      const names: Record<string, string> = { '#ttl': 'ttl' };
      const values: Record<string, unknown> = { ':ttl': ttl };
      const sets = ['#ttl = :ttl'];
      for (const [n, p] of chunk) {
        names[`#p${n}`] = partAttr(n);
        values[`:p${n}`] = encodePart(p);
        sets.push(`#p${n} = :p${n}`);
      }
      return db.update({
        Key: { pk: uploadPk(id), sk: chunkSk(c) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      });
    }),
  );
}

export async function readParts(db: TableClient, id: string): Promise<PartRecord[]> {
  const parts: PartRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
      ExpressionAttributeValues: { ':pk': uploadPk(id), ':chunk': CHUNK_PREFIX },
      ConsistentRead: true,
      ExclusiveStartKey: start,
    });
    for (const item of out.items) parts.push(...partsOfChunk(item));
    start = out.last;
  } while (start);
  return parts.sort((a, b) => a.partNumber - b.partNumber);
}
