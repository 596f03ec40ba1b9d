import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  completeAnswerSchema,
  completeMultipartUploadResultSchema,
  errorSchema,
  initiateMultipartUploadResultSchema,
  listMultipartUploadsResultSchema,
  listPartsResultSchema,
} from '../../shared/cos/schemas.ts';
import { quoteEtag } from '../../shared/core/verify-parts.ts';
import { buildCompleteXml, CosXmlError, escapeXml, parseXml } from '../../shared/cos/xml.ts';
import { UploadError } from '../../shared/errors.ts';

const decl = '<?xml version="1.0" encoding="UTF-8"?>\n';

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
};

describe('schemas on real-shaped COS answers', () => {
  it('InitiateMultipartUploadResult keeps a numeric-looking UploadId a string', () => {
    const body = `${decl}<InitiateMultipartUploadResult>
  <Bucket>uploads-1250000000</Bucket>
  <Key>u/my file.bin</Key>
  <UploadId>1585130821000123456</UploadId>
</InitiateMultipartUploadResult>`;
    expect(parseXml(body, initiateMultipartUploadResultSchema)).toEqual({
      bucket: 'uploads-1250000000',
      key: 'u/my file.bin',
      uploadId: '1585130821000123456',
    });
  });

  it('ListPartsResult with several parts, truncated', () => {
    const body = `${decl}<ListPartsResult>
  <Bucket>uploads-1250000000</Bucket>
  <Encoding-type/>
  <Key>u/big.iso</Key>
  <UploadId>1585130821cbb7df</UploadId>
  <Initiator><ID>qcs::cam::uin/100000000001:uin/100000000001</ID><DisplayName>100000000001</DisplayName></Initiator>
  <Owner><ID>qcs::cam::uin/100000000001:uin/100000000001</ID><DisplayName>100000000001</DisplayName></Owner>
  <PartNumberMarker>0</PartNumberMarker>
  <Part><PartNumber>1</PartNumber><LastModified>2024-03-25T11:20:55.000Z</LastModified><ETag>&quot;aa&quot;</ETag><Size>1048576</Size></Part>
  <Part><PartNumber>2</PartNumber><LastModified>2024-03-25T11:20:56.000Z</LastModified><ETag>"bb"</ETag><Size>17</Size></Part>
  <NextPartNumberMarker>2</NextPartNumberMarker>
  <StorageClass>STANDARD</StorageClass>
  <MaxParts>2</MaxParts>
  <IsTruncated>true</IsTruncated>
</ListPartsResult>`;
    expect(parseXml(body, listPartsResultSchema)).toEqual({
      parts: [
        { partNumber: 1, etag: '"aa"', size: 1048576, lastModified: '2024-03-25T11:20:55.000Z' },
        { partNumber: 2, etag: '"bb"', size: 17, lastModified: '2024-03-25T11:20:56.000Z' },
      ],
      isTruncated: true,
      nextPartNumberMarker: '2',
    });
  });

  it('ListPartsResult with a single Part is still an array; none is an empty one', () => {
    const one = `<ListPartsResult><Part><PartNumber>3</PartNumber><ETag>"cc"</ETag><Size>0</Size></Part><IsTruncated>false</IsTruncated><NextPartNumberMarker>3</NextPartNumberMarker></ListPartsResult>`;
    expect(parseXml(one, listPartsResultSchema).parts).toEqual([
      { partNumber: 3, etag: '"cc"', size: 0, lastModified: '' },
    ]);
    const none = `<ListPartsResult><IsTruncated>false</IsTruncated><NextPartNumberMarker/></ListPartsResult>`;
    expect(parseXml(none, listPartsResultSchema)).toEqual({
      parts: [],
      isTruncated: false,
      nextPartNumberMarker: null,
    });
  });

  it('CompleteMultipartUploadResult after streamed whitespace', () => {
    const body = `${'  \n'.repeat(50)}${decl}<CompleteMultipartUploadResult>
  <Location>uploads-1250000000.cos.ap-guangzhou.myqcloud.com/u/big.iso</Location>
  <Bucket>uploads-1250000000</Bucket>
  <Key>u/big.iso</Key>
  <ETag>&quot;3a0f1fd698c235af9cf098cb74aa25bc-2&quot;</ETag>
</CompleteMultipartUploadResult>`;
    expect(parseXml(body, completeMultipartUploadResultSchema)).toEqual({
      location: 'uploads-1250000000.cos.ap-guangzhou.myqcloud.com/u/big.iso',
      etag: '"3a0f1fd698c235af9cf098cb74aa25bc-2"',
    });
    expect(parseXml(body, completeAnswerSchema)).toMatchObject({
      ok: true,
      etag: '"3a0f1fd698c235af9cf098cb74aa25bc-2"',
    });
  });

  it("an <Error> inside Complete's 200 body is recognised", () => {
    const body = `   \n  <Error><Code>InternalError</Code><Message>We encountered an internal error.</Message><Resource>x</Resource><RequestId>NjQ2</RequestId><TraceId>t</TraceId></Error>`;
    expect(parseXml(body, completeAnswerSchema)).toEqual({
      ok: false,
      error: { code: 'InternalError', message: 'We encountered an internal error.', requestId: 'NjQ2' },
    });
  });

  it('ListMultipartUploadsResult with one Upload, keys untrimmed and entities decoded', () => {
    const body = `${decl}<ListMultipartUploadsResult>
  <Bucket>uploads-1250000000</Bucket>
  <Encoding-Type/>
  <KeyMarker/>
  <UploadIdMarker/>
  <MaxUploads>1</MaxUploads>
  <Prefix>u/</Prefix>
  <IsTruncated>true</IsTruncated>
  <NextKeyMarker>u/ a&amp;b </NextKeyMarker>
  <NextUploadIdMarker>1700</NextUploadIdMarker>
  <Upload>
    <Key>u/ a&amp;b </Key>
    <UploadId>1700</UploadId>
    <StorageClass>STANDARD</StorageClass>
    <Initiator><UIN>1</UIN><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Initiator>
    <Owner><UID>1</UID><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName></Owner>
    <Initiated>2024-01-01T00:00:00.000Z</Initiated>
  </Upload>
</ListMultipartUploadsResult>`;
    expect(parseXml(body, listMultipartUploadsResultSchema)).toEqual({
      uploads: [{ key: 'u/ a&b ', uploadId: '1700', initiated: '2024-01-01T00:00:00.000Z' }],
      isTruncated: true,
      nextKeyMarker: 'u/ a&b ',
      nextUploadIdMarker: '1700',
    });
  });

  it('ListMultipartUploadsResult with several uploads and no markers', () => {
    const up = (k: string) => `<Upload><Key>${k}</Key><UploadId>id-${k}</UploadId><Initiated>t</Initiated></Upload>`;
    const body = `<ListMultipartUploadsResult>${up('a')}${up('b')}<IsTruncated>false</IsTruncated></ListMultipartUploadsResult>`;
    const r = parseXml(body, listMultipartUploadsResultSchema);
    expect(r.uploads.map((u) => u.key)).toEqual(['a', 'b']);
    expect(r).toMatchObject({ isTruncated: false, nextKeyMarker: null, nextUploadIdMarker: null });
  });

  it('Error with numeric character references', () => {
    const body = `<Error><Code>NoSuchUpload</Code><Message>no &#x4e2d; upload</Message><RequestId>r1</RequestId></Error>`;
    expect(parseXml(body, errorSchema)).toEqual({ code: 'NoSuchUpload', message: 'no 中 upload', requestId: 'r1' });
  });
});

describe('parseXml failures', () => {
  const cases: [string, string][] = [
    ['malformed', '<ListPartsResult><Part></ListPartsResult>'],
    ['not XML at all', '<html>502 Bad Gateway'],
    ['empty', ''],
    ['wrong root', '<Something><IsTruncated>false</IsTruncated></Something>'],
    [
      'bad number',
      '<ListPartsResult><Part><PartNumber>one</PartNumber><ETag>"a"</ETag><Size>1</Size></Part><IsTruncated>false</IsTruncated></ListPartsResult>',
    ],
    ['bad boolean', '<ListPartsResult><IsTruncated>maybe</IsTruncated></ListPartsResult>'],
  ];

  it.each(cases)('%s → CosXmlError with the raw body attached, not in the message', (_name, body) => {
    const e = caught(() => parseXml(body, listPartsResultSchema));
    expect(e).toBeInstanceOf(CosXmlError);
    const err = e as CosXmlError;
    expect(err.body).toBe(body);
    expect(Object.keys(err)).not.toContain('body');
    expect(JSON.stringify(err)).not.toContain('<');
    expect(err.message).not.toMatch(/[<>]/);
    expect(err.cause).toBeDefined();
  });

  it('the message points at the bad field', () => {
    const e = caught(() => parseXml(cases[4]![1], listPartsResultSchema)) as CosXmlError;
    expect(e.message).toContain('ListPartsResult.Part.0.PartNumber');
  });
});

describe('Complete request builder', () => {
  it('builds the body in the order given, quoting bare ETags', () => {
    expect(
      buildCompleteXml([
        { partNumber: 1, etag: '"aa"' },
        { partNumber: 2, etag: 'bb' },
      ]),
    ).toBe(
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"aa"</ETag></Part>' +
        '<Part><PartNumber>2</PartNumber><ETag>"bb"</ETag></Part></CompleteMultipartUpload>',
    );
  });

  it('escapes markup in ETags and round-trips through a parser', () => {
    const etag = '"a&b<c>]]>d"';
    const xml = buildCompleteXml([{ partNumber: 1, etag }]);
    expect(xml).toContain('<ETag>"a&amp;b&lt;c&gt;]]&gt;d"</ETag>');
    const doc = new XMLParser({ parseTagValue: false }).parse(xml);
    expect(doc.CompleteMultipartUpload.Part.ETag).toBe(etag);
  });

  it('rejects what XML cannot carry and bad part numbers as 400s', () => {
    for (const parts of [
      [{ partNumber: 1, etag: 'a\u0001b' }],
      [{ partNumber: 0, etag: 'a' }],
      [{ partNumber: 1.5, etag: 'a' }],
      [{ partNumber: 1, etag: '' }],
    ]) {
      const e = caught(() => buildCompleteXml(parts));
      expect(e).toBeInstanceOf(UploadError);
      expect((e as UploadError).status).toBe(400);
    }
  });

  it('escapeXml, and the one quoteEtag Complete uses (the core one: quoted, bare hex lowercased)', () => {
    expect(escapeXml('a&<>"\'')).toBe('a&amp;&lt;&gt;"\'');
    expect(quoteEtag('x')).toBe('"x"');
    expect(quoteEtag('"X"')).toBe('"x"');
    expect(quoteEtag('"')).toBe('""');
  });
});
