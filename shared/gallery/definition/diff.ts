import type { GalleryImage, GalleryImageFeature } from '@azure/arm-compute';
import { DEFINITION_INPUTS, type ImageDefinitionSpec } from './spec';

export interface ImmutableMismatch {
  property: string;
  input: string;
  existing: string;
  requested: string;
}

export interface DefinitionDiff {
  immutableMismatches: ImmutableMismatch[];
  /** Human-readable list of what an update would change; empty means nothing to do. */
  changes: string[];
}

function feature(features: GalleryImageFeature[] | undefined, name: string): string | undefined {
  return features?.find((f) => f.name?.toLowerCase() === name.toLowerCase())?.value;
}

/** The features array Azure stores for a spec; names as in the Compute API. */
export function featuresFor(spec: ImageDefinitionSpec): GalleryImageFeature[] {
  const list: GalleryImageFeature[] = [];
  if (spec.securityType !== 'Standard') list.push({ name: 'SecurityType', value: spec.securityType });
  if (spec.acceleratedNetworking !== undefined) {
    list.push({ name: 'IsAcceleratedNetworkSupported', value: String(spec.acceleratedNetworking) });
  }
  if (spec.diskControllerTypes?.length) {
    list.push({
      name: 'DiskControllerTypes',
      value: spec.diskControllerTypes.map((t) => (t.toUpperCase() === 'NVME' ? 'NVMe' : 'SCSI')).join(','),
    });
  }
  return list;
}

const same = (a: string | undefined, b: string | undefined) =>
  (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/**
 * Compares a definition that exists with what was asked. Azure cannot change OS type and state, generation,
 * architecture, identifier or security type of a definition (it answers PropertyChangeNotAllowed), so those are
 * mismatches the user must resolve with a new definition; description, end of life, features that may change
 * and tags are updated in place.
 */
export function diffDefinition(existing: GalleryImage, spec: ImageDefinitionSpec): DefinitionDiff {
  const immutableMismatches: ImmutableMismatch[] = [];
  const check = (property: string, input: string, was: string | undefined, now: string) => {
    if (!same(was, now))
      immutableMismatches.push({ property, input, existing: was ?? '(not set)', requested: now });
  };
  check('osType', DEFINITION_INPUTS.osType, existing.osType, spec.osType);
  check('osState', DEFINITION_INPUTS.osState, existing.osState, spec.osState);
  check(
    'hyperVGeneration',
    DEFINITION_INPUTS.hyperVGeneration,
    existing.hyperVGeneration ?? 'V1',
    spec.hyperVGeneration,
  );
  check('architecture', DEFINITION_INPUTS.architecture, existing.architecture ?? 'x64', spec.architecture);
  check('identifier.publisher', DEFINITION_INPUTS.publisher, existing.identifier?.publisher, spec.publisher);
  check('identifier.offer', DEFINITION_INPUTS.offer, existing.identifier?.offer, spec.offer);
  check('identifier.sku', DEFINITION_INPUTS.sku, existing.identifier?.sku, spec.sku);
  check(
    'features.SecurityType',
    DEFINITION_INPUTS.securityType,
    feature(existing.features, 'SecurityType') ?? 'Standard',
    spec.securityType,
  );

  const changes: string[] = [];
  if (spec.description !== undefined && spec.description !== (existing.description ?? '')) {
    changes.push(`description: '${existing.description ?? ''}' -> '${spec.description}'`);
  }
  const eolBefore = existing.endOfLifeDate ? new Date(existing.endOfLifeDate).toISOString() : undefined;
  const eolAfter = spec.endOfLifeDate?.toISOString();
  if (eolAfter !== undefined && eolAfter !== eolBefore)
    changes.push(`endOfLifeDate: ${eolBefore ?? '(none)'} -> ${eolAfter}`);
  for (const f of featuresFor(spec)) {
    if (f.name === 'SecurityType') continue;
    const before = feature(existing.features, f.name!);
    if (!same(before, f.value)) changes.push(`feature ${f.name}: ${before ?? '(not set)'} -> ${f.value}`);
  }
  for (const [key, value] of Object.entries(spec.tags ?? {})) {
    if (existing.tags?.[key] !== value)
      changes.push(`tag ${key}: ${existing.tags?.[key] ?? '(none)'} -> ${value}`);
  }
  return { immutableMismatches, changes };
}
