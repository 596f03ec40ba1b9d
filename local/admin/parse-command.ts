import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { UsageError } from './cli-errors.ts';

/** parseArgs for one command, its errors in words naming that command's own flags. */
export function parseCommand<O extends ParseArgsOptionsConfig>(
  command: string,
  args: string[],
  options: O,
  positionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (e) {
    const flags = Object.keys(options).map((k) => `--${k}`);
    const known = flags.length > 0 ? `its options: ${flags.join(', ')}` : 'it takes no options';
    const code = (e as { code?: string }).code;
    const name = /'(-[^']*)'/.exec((e as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${command}: unknown option ${name}; ${known}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`${command}: unexpected argument ${name ?? ''}; ${known}`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = name?.split(' ')[0] ?? '';
      const missing = /argument missing/.test((e as Error).message);
      throw new UsageError(`${command}: ${flag} ${missing ? 'needs a value' : 'takes no value'}; ${known}`);
    }
    throw e;
  }
}
