import { defer, from, type Observable } from 'rxjs';
import type { ImageRecord, ImageSet } from '../src/data/records.js';

/** The records of an in-memory ImageSet, in order; completes after the last. */
export const fromImageSet = (set: ImageSet): Observable<ImageRecord> => defer(() => from(set.records));
