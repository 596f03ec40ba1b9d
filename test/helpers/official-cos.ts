import COS from 'cos-nodejs-sdk-v5';
import { LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../../local/cos/defaults.ts';

/**
 * The official COS Node SDK pointed at the local emulator with the account key pair: tests use
 * it to look at COS from the outside (read objects back, list parts, create orphans).
 */
export function officialCos(cosUrl: string, keys = { SecretId: LOCAL_SECRET_ID, SecretKey: LOCAL_SECRET_KEY }) {
  const domain = new URL(cosUrl).host;
  return new COS({ ...keys, Protocol: 'http', Domain: domain });
}

type Cb<T> = (err: unknown, data: T) => void;
/** Promisifies one SDK call (the SDK's own promise support varies by method). */
export function sdk<T = Record<string, unknown>>(
  fn: (params: Record<string, unknown>, cb: Cb<T>) => void,
  params: Record<string, unknown>,
): Promise<T> {
  return new Promise((resolve, reject) => fn(params, (err, data) => (err ? reject(err) : resolve(data))));
}

export async function getObjectBytes(cos: COS, bucket: string, region: string, key: string): Promise<Buffer> {
  const data = await sdk<{ Body: Buffer }>(cos.getObject.bind(cos) as never, {
    Bucket: bucket,
    Region: region,
    Key: key,
  });
  return data.Body;
}

/** The bucket an object lives in: a LocalStack has both. */
interface BucketAt {
  bucket: string;
  region: string;
}

/** ListParts of one multipart upload; rejects with the SDK's error (404 once COS no longer holds it). */
export function listParts(cos: COS, at: BucketAt, key: string, uploadId: string | null) {
  return sdk(cos.multipartListPart.bind(cos) as never, {
    Bucket: at.bucket,
    Region: at.region,
    Key: key,
    UploadId: uploadId,
  });
}

/** HEAD of one object; rejects with the SDK's error (404 when there is none). */
export function headObject(cos: COS, at: BucketAt, key: string) {
  return sdk<{ statusCode: number; headers: Record<string, string> }>(cos.headObject.bind(cos) as never, {
    Bucket: at.bucket,
    Region: at.region,
    Key: key,
  });
}
