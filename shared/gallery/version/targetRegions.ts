import { InputError } from '../../validation/inputError';
import { normalizeRegion } from '../../azure/regions';

export const VERSION_STORAGE_TYPES = ['Standard_LRS', 'Standard_ZRS', 'Premium_LRS'] as const;
export type VersionStorageType = (typeof VERSION_STORAGE_TYPES)[number];

/** Azure's bounds for replicas of an image version in one region. */
export const MAX_REPLICAS = 100;

export interface TargetRegionSpec {
  /** ARM's name, e.g. `westeurope`. */
  name: string;
  replicas?: number;
  storageAccountType?: VersionStorageType;
  excludeFromLatest?: boolean;
}

export function checkReplicaCount(input: string, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_REPLICAS) {
    throw new InputError(
      input,
      `replica count ${count} is outside 1..${MAX_REPLICAS}, the range Azure allows per region`,
    );
  }
}

/**
 * One region per line (or comma-separated): `name[=replicas] [storageAccountType] [excludeFromLatest]`, e.g.
 * `eastus=2 Standard_ZRS`. Region names are checked against Azure's list (with a suggestion for a typo).
 */
export function parseTargetRegions(input: string, lines: string[]): TargetRegionSpec[] {
  const regions: TargetRegionSpec[] = [];
  for (const line of lines
    .flatMap((l) => l.split(','))
    .map((l) => l.trim())
    .filter(Boolean)) {
    // Flags come last; what is before them is the region, which may be a display name with spaces.
    const tokens = line.split(/\s+/);
    const flags: string[] = [];
    const isFlag = (t: string) =>
      t.toLowerCase() === 'excludefromlatest' ||
      VERSION_STORAGE_TYPES.some((s) => s.toLowerCase() === t.toLowerCase());
    while (tokens.length > 1 && (isFlag(tokens[tokens.length - 1]) || /_/.test(tokens[tokens.length - 1])))
      flags.unshift(tokens.pop()!);
    const [rawName, rawCount] = tokens
      .join(' ')
      .split('=')
      .map((t) => t.trim());
    const region: TargetRegionSpec = { name: normalizeRegion(input, rawName) };
    if (rawCount !== undefined) {
      if (!/^\d+$/.test(rawCount))
        throw new InputError(input, `'${line}': replica count '${rawCount}' is not a whole number`);
      region.replicas = Number(rawCount);
      checkReplicaCount(input, region.replicas);
    }
    for (const flag of flags) {
      const storage = VERSION_STORAGE_TYPES.find((t) => t.toLowerCase() === flag.toLowerCase());
      if (storage) region.storageAccountType = storage;
      else if (flag.toLowerCase() === 'excludefromlatest') region.excludeFromLatest = true;
      else {
        throw new InputError(
          input,
          `'${line}': '${flag}' is neither a storage account type (${VERSION_STORAGE_TYPES.join(', ')}) nor excludeFromLatest`,
        );
      }
    }
    if (regions.some((r) => r.name === region.name))
      throw new InputError(input, `region '${region.name}' is listed twice`);
    regions.push(region);
  }
  return regions;
}

/** The gallery's own region must be a target (Azure keeps a copy there); added first when missing. */
export function withHomeRegion(regions: TargetRegionSpec[], home: string): TargetRegionSpec[] {
  return regions.some((r) => r.name === home) ? regions : [{ name: home }, ...regions];
}
