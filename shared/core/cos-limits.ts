/** COS's own limits (436/7750 Upload Part, 436/14112 multipart upload limits): parts of at most 5 GiB, at most 10,000 of them. */
export const COS_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const COS_MAX_PARTS = 10_000;

/**
 * `x-cos-traffic-limit` range, bits/s (single-connection bandwidth limit, 436/40140: 819200–838860800,
 * 100 KB/s–100 MB/s; outside it COS answers 400).
 */
export const COS_MIN_TRAFFIC_LIMIT_BPS = 819_200;
export const COS_MAX_TRAFFIC_LIMIT_BPS = 838_860_800;

/**
 * A Content-MD5 value: canonical base64 of the 16 bytes of an MD5 (RFC 1864), 24 characters with
 * its padding (the last data character carries 2 bits, so it is one of A Q g w).
 */
export const CONTENT_MD5 = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
