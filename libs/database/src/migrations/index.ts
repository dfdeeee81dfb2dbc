import { CreateMailPath1764086400000 } from './1764086400000-CreateMailPath';
import { AddHoldAndReplay1764172802000 } from './1764172802000-AddHoldAndReplay';

/** Listed explicitly so that the compiled build and the tests run the same set, in order. */
export const MIGRATIONS = [CreateMailPath1764086400000, AddHoldAndReplay1764172802000];
