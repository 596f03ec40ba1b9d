/**
 * An error as COS puts it on the wire (status + `<Code>`). The emulator speaks COS's error
 * vocabulary (NoSuchUpload, SignatureDoesNotMatch, ...), which is a foreign protocol and not the
 * project's UploadError family: clients under test must see exactly what real COS would send.
 */
export class CosError extends Error {
  override readonly name = 'CosError';
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const isCosError = (e: unknown): e is CosError => e instanceof CosError;

export const accessDenied = (message = 'Access Denied.') => new CosError(403, 'AccessDenied', message);
export const signatureMismatch = (message: string) => new CosError(403, 'SignatureDoesNotMatch', message);
export const invalidAccessKeyId = (message = 'The access key Id you provided does not exist in our records.') =>
  new CosError(403, 'InvalidAccessKeyId', message);
export const invalidArgument = (message: string) => new CosError(400, 'InvalidArgument', message);
export const malformedXml = (message = 'The XML you provided was not well-formed.') =>
  new CosError(400, 'MalformedXML', message);
export const noSuchKey = () => new CosError(404, 'NoSuchKey', 'The specified key does not exist.');
export const noSuchUpload = () => new CosError(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
