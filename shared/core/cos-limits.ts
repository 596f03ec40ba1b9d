/** COS's own limits (436/7750 Upload Part, 436/14112 multipart upload limits): parts of at most 5 GiB, at most 10,000 of them. */
export const COS_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const COS_MAX_PARTS = 10_000;
