import { InputError } from '../../validation/inputError';

export type OsType = 'Linux' | 'Windows';
export type OsState = 'Generalized' | 'Specialized';
export type HyperVGeneration = 'V1' | 'V2';
export type Architecture = 'x64' | 'Arm64';
export type SecurityType =
  | 'Standard'
  | 'TrustedLaunchSupported'
  | 'TrustedLaunchAndConfidentialVmSupported'
  | 'ConfidentialVmSupported';

export const OS_TYPES: readonly OsType[] = ['Linux', 'Windows'];
export const OS_STATES: readonly OsState[] = ['Generalized', 'Specialized'];
export const GENERATIONS: readonly HyperVGeneration[] = ['V1', 'V2'];
export const ARCHITECTURES: readonly Architecture[] = ['x64', 'Arm64'];
export const SECURITY_TYPES: readonly SecurityType[] = [
  'Standard',
  'TrustedLaunchSupported',
  'TrustedLaunchAndConfidentialVmSupported',
  'ConfidentialVmSupported',
];

/** What the user asked the image definition to be. Field names follow the task inputs they come from. */
export interface ImageDefinitionSpec {
  osType: OsType;
  osState: OsState;
  hyperVGeneration: HyperVGeneration;
  architecture: Architecture;
  securityType: SecurityType;
  acceleratedNetworking?: boolean;
  /** e.g. ['SCSI', 'NVMe']; NVMe needs generation V2. */
  diskControllerTypes?: string[];
  publisher: string;
  offer: string;
  sku: string;
  description?: string;
  endOfLifeDate?: Date;
  tags?: Record<string, string>;
}

/** Which task input each spec field comes from, so errors name the field a user must change. */
export const DEFINITION_INPUTS: Record<keyof ImageDefinitionSpec, string> = {
  osType: 'osType',
  osState: 'osState',
  hyperVGeneration: 'hyperVGeneration',
  architecture: 'architecture',
  securityType: 'securityType',
  acceleratedNetworking: 'acceleratedNetworking',
  diskControllerTypes: 'diskControllerTypes',
  publisher: 'publisher',
  offer: 'offer',
  sku: 'sku',
  description: 'definitionDescription',
  endOfLifeDate: 'endOfLifeDate',
  tags: 'tags',
};

/** Rules Azure enforces only after a long build; checked before any call. */
export function validateDefinitionSpec(spec: ImageDefinitionSpec, now = new Date()): void {
  if (spec.securityType !== 'Standard' && spec.hyperVGeneration !== 'V2') {
    throw new InputError(
      DEFINITION_INPUTS.securityType,
      `${spec.securityType} needs Hyper-V generation V2, but hyperVGeneration is ${spec.hyperVGeneration}`,
    );
  }
  if (spec.architecture === 'Arm64' && spec.hyperVGeneration !== 'V2') {
    throw new InputError(DEFINITION_INPUTS.architecture, 'Arm64 images must be Hyper-V generation V2');
  }
  if (spec.diskControllerTypes?.some((t) => t.toUpperCase() === 'NVME') && spec.hyperVGeneration !== 'V2') {
    throw new InputError(
      DEFINITION_INPUTS.diskControllerTypes,
      'NVMe disk controllers need Hyper-V generation V2',
    );
  }
  for (const t of spec.diskControllerTypes ?? []) {
    if (!['SCSI', 'NVME'].includes(t.toUpperCase())) {
      throw new InputError(
        DEFINITION_INPUTS.diskControllerTypes,
        `'${t}' is not a disk controller type; use SCSI and/or NVMe`,
      );
    }
  }
  for (const key of ['publisher', 'offer', 'sku'] as const) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,126}[A-Za-z0-9_])?$/.test(spec[key])) {
      throw new InputError(
        DEFINITION_INPUTS[key],
        `'${spec[key]}' may hold only letters, digits, '_', '-' and '.'`,
      );
    }
  }
  if (spec.endOfLifeDate && spec.endOfLifeDate.getTime() <= now.getTime()) {
    throw new InputError(
      DEFINITION_INPUTS.endOfLifeDate,
      `${spec.endOfLifeDate.toISOString()} is in the past; give a future date or leave it empty`,
    );
  }
}
