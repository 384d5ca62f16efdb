// Dependence sets as plain data, and each family's reference receptive field — computed from the
// spec alone by the family's own `referenceField` (src/models/<family>/field.ts), on purpose
// independent of src/masks.ts and of the model code (field.spec.ts checks the rules agree with the
// mask tables).

import type { BaseSpec } from '../src/model.js';
import { familyOrNull } from '../src/models/registry.js';
import type { Dependence } from '../src/receptiveField.js';

export {
  allowedField,
  emptyDependence,
  stackField,
  unionDependence,
  type Dependence,
  type RefLayer,
} from '../src/receptiveField.js';
export { pixelCnnField, pixelCnnReferenceLayers } from '../src/models/pixelcnn/field.js';
export { diagonalBiLstmField, rowLstmField } from '../src/models/pixelrnn/field.js';

/** A family's reference receptive field. */
export type ReferenceField = (spec: BaseSpec) => Dependence;

/** The reference field of a spec, or undefined when its family has none (or is not registered). */
export const referenceFieldOf = (s: BaseSpec): Dependence | undefined => familyOrNull(s.family)?.referenceField?.(s);
