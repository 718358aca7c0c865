import { ArmError } from '../errors';
import { PUBLIC_REGIONS } from '../regions';
import type { ResourceTypeSpec } from './types';

/*
 * The VM sizes the local Azure knows, as Microsoft.Compute/skus lists them: which Hyper-V generations each can
 * boot and whether Trusted Launch is available. "Size unknown" and "a Gen2 image on a Gen1-only size" are then
 * Azure's answers (from these capabilities), not guesses of the task.
 */
export interface VmSize {
  name: string;
  family: string;
  vCPUs: number;
  memoryGB: number;
  generations: ('V1' | 'V2')[];
  trustedLaunch: boolean;
}

export const VM_SIZES: VmSize[] = [
  {
    name: 'Standard_B1s',
    family: 'standardBSFamily',
    vCPUs: 1,
    memoryGB: 1,
    generations: ['V1', 'V2'],
    trustedLaunch: true,
  },
  {
    name: 'Standard_B2s',
    family: 'standardBSFamily',
    vCPUs: 2,
    memoryGB: 4,
    generations: ['V1', 'V2'],
    trustedLaunch: true,
  },
  {
    name: 'Standard_D2s_v5',
    family: 'standardDSv5Family',
    vCPUs: 2,
    memoryGB: 8,
    generations: ['V1', 'V2'],
    trustedLaunch: true,
  },
  {
    name: 'Standard_D2as_v5',
    family: 'standardDASv5Family',
    vCPUs: 2,
    memoryGB: 8,
    generations: ['V1', 'V2'],
    trustedLaunch: true,
  },
  // Older sizes boot Generation 1 images only.
  {
    name: 'Standard_A2_v2',
    family: 'standardAv2Family',
    vCPUs: 2,
    memoryGB: 4,
    generations: ['V1'],
    trustedLaunch: false,
  },
  {
    name: 'Standard_D2_v2',
    family: 'standardDv2Family',
    vCPUs: 2,
    memoryGB: 7,
    generations: ['V1'],
    trustedLaunch: false,
  },
];

export function vmSize(name: string): VmSize | undefined {
  return VM_SIZES.find((s) => s.name.toLowerCase() === name.toLowerCase());
}

export function unknownSize(name: string): ArmError {
  return new ArmError(
    400,
    'InvalidParameter',
    `The value ${name} provided for the VM size is not valid. The valid sizes in the current region are: ${VM_SIZES.map((s) => s.name).join(', ')}. Find out more on the available VM sizes in each region at https://aka.ms/azure-regions.`,
  );
}

/** The catalogue ResourceSkus_List answers: one entry per size, in every public region. */
export const resourceSkus: ResourceTypeSpec = {
  type: 'Microsoft.Compute/skus',
  asyncCreate: false,
  asyncDelete: false,
  write() {
    throw new ArmError(405, 'MethodNotAllowed', 'Resource SKUs are read-only.');
  },
  subscriptionList: () =>
    VM_SIZES.map((s) => ({
      resourceType: 'virtualMachines',
      name: s.name,
      tier: 'Standard',
      size: s.name.replace(/^Standard_/, ''),
      family: s.family,
      locations: Object.keys(PUBLIC_REGIONS),
      locationInfo: Object.keys(PUBLIC_REGIONS).map((location) => ({ location, zones: [], zoneDetails: [] })),
      capabilities: [
        { name: 'vCPUs', value: String(s.vCPUs) },
        { name: 'MemoryGB', value: String(s.memoryGB) },
        { name: 'HyperVGenerations', value: s.generations.join(',') },
        { name: 'TrustedLaunchDisabled', value: s.trustedLaunch ? 'False' : 'True' },
      ],
      restrictions: [],
    })),
};
