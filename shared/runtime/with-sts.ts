import { storeFrom } from './store-from.ts';
import { stsIssuer } from './sts-issuer.ts';

/** The credentials route: the store and the STS issuer (the only bundle with the Tencent SDK). */
export const withSts = { store: storeFrom, issuer: stsIssuer };
