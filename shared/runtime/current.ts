import { parseConfig } from '../config.ts';
import { createRuntime, type Runtime, type RuntimeParts } from './runtime.ts';

let installed: Runtime | undefined;
let fromEnvironment: Runtime | undefined;

/**
 * The local stack and tests install the runtime they built; a Lambda builds its own from the
 * environment at first use (init). This is the process's one piece of wiring state.
 */
export function installRuntime(runtime: Runtime | undefined): void {
  installed = runtime;
}

/**
 * The runtime of this process, given the adapter loaders the calling entry brings (only its
 * bundle carries them). Invalid configuration throws a ConfigError naming the variables.
 */
export function runtimeFor(loaders: Pick<RuntimeParts, 'store' | 'storage' | 'issuer' | 'detector'> = {}): Runtime {
  const runtime = installed ?? (fromEnvironment ??= createRuntime(parseConfig(process.env)));
  runtime.provide(loaders);
  return runtime;
}
