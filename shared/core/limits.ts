/** The limits the core enforces, taken from config once (see fromConfig in deps). */
export interface Limits {
  maxUploadBytes: number;
  maxParts: number;
  minPartBytes: number;
  defaultPartBytes: number;
  singlePutMaxBytes: number;
  allowedContentTypes: string;
  maxOpenUploadsPerOwner: number;
  urlExpiresSeconds: number;
  stsDurationSeconds: number;
  staleAfterSeconds: number;
  uploadTtlSeconds: number;
  keyPrefix: string;
}
