import { defer, from, type Observable } from 'rxjs';
import type { ImageRecord, ImageSet } from '../src/data/records.js';

/**
 * The records of an in-memory ImageSet: emits them in order, synchronously on subscription, then
 * completes (at once for an empty set). Never errors. Cold: every subscription gets every record.
 * Unsubscribing stops the emission at the next record.
 */
export const fromImageSet = (set: ImageSet): Observable<ImageRecord> => defer(() => from(set.records));
