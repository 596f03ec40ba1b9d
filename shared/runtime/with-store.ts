import { storeFrom } from './store-from.ts';

/** An entry whose use case reads and writes uploads: the configured store, nothing else. */
export const withStore = { store: storeFrom };
