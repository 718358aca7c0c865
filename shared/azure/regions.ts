import { InputError } from '../validation/inputError';

/** Azure public, sovereign and edge-less regions (ARM location names). */
export const KNOWN_REGIONS: readonly string[] = [
  'australiacentral',
  'australiacentral2',
  'australiaeast',
  'australiasoutheast',
  'austriaeast',
  'belgiumcentral',
  'brazilsouth',
  'brazilsoutheast',
  'canadacentral',
  'canadaeast',
  'centralindia',
  'centralus',
  'centraluseuap',
  'chilecentral',
  'denmarkeast',
  'eastasia',
  'eastus',
  'eastus2',
  'eastus2euap',
  'francecentral',
  'francesouth',
  'germanynorth',
  'germanywestcentral',
  'indonesiacentral',
  'israelcentral',
  'italynorth',
  'japaneast',
  'japanwest',
  'jioindiacentral',
  'jioindiawest',
  'koreacentral',
  'koreasouth',
  'malaysiawest',
  'mexicocentral',
  'newzealandnorth',
  'northcentralus',
  'northeurope',
  'norwayeast',
  'norwaywest',
  'polandcentral',
  'qatarcentral',
  'southafricanorth',
  'southafricawest',
  'southcentralus',
  'southeastasia',
  'southindia',
  'spaincentral',
  'swedencentral',
  'swedensouth',
  'switzerlandnorth',
  'switzerlandwest',
  'uaecentral',
  'uaenorth',
  'uksouth',
  'ukwest',
  'westcentralus',
  'westeurope',
  'westindia',
  'westus',
  'westus2',
  'westus3',
  // Sovereign clouds
  'chinaeast',
  'chinaeast2',
  'chinaeast3',
  'chinanorth',
  'chinanorth2',
  'chinanorth3',
  'usgovarizona',
  'usgovtexas',
  'usgovvirginia',
  'usdodcentral',
  'usdodeast',
];

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** `West Europe`, `westeurope` and `WestEurope` are one region to ARM; its name is the lower-case form. */
/** ARM's form of a region name: `West Europe` and `WestEurope` are `westeurope`. No check that it exists. */
export function regionKey(value: string): string {
  return value.replace(/\s+/g, '').toLowerCase();
}

export function normalizeRegion(input: string, value: string, extraRegions: readonly string[] = []): string {
  const name = regionKey(value);
  if (KNOWN_REGIONS.includes(name) || extraRegions.map((r) => r.toLowerCase()).includes(name)) return name;
  const close = [...KNOWN_REGIONS]
    .map((r) => ({ r, d: editDistance(name, r) }))
    .filter((x) => x.d <= 3)
    .sort((x, y) => x.d - y.d)
    .slice(0, 3)
    .map((x) => x.r);
  throw new InputError(
    input,
    `'${value}' is not an Azure region${close.length ? `; did you mean ${close.join(', ')}?` : ''}`,
  );
}
