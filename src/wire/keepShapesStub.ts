import type { keepShapes as keep, parseKeepingShape as parseKeeping } from './keepShapes';

/**
 * What a browser bundle of the package gets for keepShapes (package.json's `imports`,
 * `#keepShapes` under any condition but `node`): a page reads a stream or two between its
 * collections, so rebuilding a few hidden classes after one costs it nothing it would notice, and
 * keeping specimens would cost every app the bytes. (A bundle of the sources, as the tests and
 * benches make, holds the keeper itself.)
 */
export const keepShapes: typeof keep = () => {};
export const parseKeepingShape: typeof parseKeeping = (data) => JSON.parse(data);
