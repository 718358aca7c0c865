import { ArmError } from '../errors';
import type { ResourceTypeSpec } from './types';

/*
 * Virtual machines exist in the local Azure only as fixtures a test puts into the store (a VM to capture into a
 * gallery image version); ARM can read them, list them and delete them, but the local Azure runs no VMs, so a
 * create is refused plainly rather than faked.
 */
export const virtualMachines: ResourceTypeSpec = {
  type: 'Microsoft.Compute/virtualMachines',
  asyncCreate: true,
  asyncDelete: true,
  write() {
    throw new ArmError(
      400,
      'OperationNotSupported',
      'The local Azure does not create virtual machines; a test places VM fixtures in the store.',
    );
  },
};
