/** Bad usage: the CLI prints the message and the usage text, and exits 2. */
export class UsageError extends Error {}

/** The API answered with its contract error (or could not be reached): printed as JSON, exit 1. */
export class ApiFailure extends Error {
  readonly body: unknown;
  constructor(body: unknown) {
    super('api failure');
    this.body = body;
  }
}
