export interface Io {
  env: Record<string, string | undefined>;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Where and as whom the commands talk: `--api`/`--token`, else the environment. */
export interface Target {
  api?: string;
  token?: string;
}

/** A command's context: the I/O and the target. */
export interface Ctx extends Io {
  target: Target;
}

/** One command: its arguments after the command name, minus `--api`, `--token` and `--help`. */
export type Command = (args: string[], io: Ctx) => Promise<void>;
