import { CreateMailPath1764086400000 } from './1764086400000-CreateMailPath';

/** Listed explicitly so that the compiled build and the tests run the same set, in order. */
export const MIGRATIONS = [CreateMailPath1764086400000];
