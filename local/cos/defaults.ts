/**
 * Local defaults for the emulator and `npm start`. Fixed, public, development-only values: they
 * sign requests to 127.0.0.1 and nothing else, so they are safe to print and to commit.
 */
export const LOCAL_SECRET_ID = 'AKIDLOCALDEVELOPMENT000000000000';
export const LOCAL_SECRET_KEY = 'LocalDevelopmentSecretKey0000000';
export const LOCAL_BUCKET = 'uploads-1250000000';
export const LOCAL_REGION = 'ap-guangzhou';
export const LOCAL_PORT = 8788;
