import { cosStorage } from './cos-storage.ts';
import { storeFrom } from './store-from.ts';

/** An entry whose use case calls COS: the store and the COS client (its bundle carries both). */
export const withCos = { store: storeFrom, storage: cosStorage };
