import { isRestError } from '@azure/core-rest-pipeline';
import { InputError } from '../validation/inputError';

/** A GET that answers undefined for 404 ResourceNotFound, and names the input when the group is missing. */
export async function getIfExists<T>(
  get: () => Promise<T>,
  resourceGroupInput: string,
  resourceGroup: string,
): Promise<T | undefined> {
  try {
    return await get();
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404) {
      if (e.code === 'ResourceGroupNotFound') throw resourceGroupMissing(resourceGroupInput, resourceGroup);
      return undefined;
    }
    throw e;
  }
}

export function resourceGroupMissing(input: string, resourceGroup: string): InputError {
  return new InputError(
    input,
    `resource group '${resourceGroup}' does not exist in the subscription of the service connection; create it first (the task does not create resource groups, so it can run with least privilege)`,
  );
}

/** Turns ResourceGroupNotFound from a write into the same input error. */
export function rethrowResourceGroup(e: unknown, input: string, resourceGroup: string): never {
  if (isRestError(e) && e.code === 'ResourceGroupNotFound') throw resourceGroupMissing(input, resourceGroup);
  throw e;
}

/** Refuses a target that already exists (nothing is ever overwritten), naming the input that chose its name. */
export async function refuseExisting(
  get: () => Promise<unknown>,
  target: { what: string; name: string; resourceGroup: string; nameInput?: string },
): Promise<void> {
  const existing = await getIfExists(get, 'resourceGroupName', target.resourceGroup);
  if (existing) {
    throw new InputError(
      target.nameInput ?? 'targetName',
      `${target.what} '${target.name}' already exists; choose another name or delete it`,
    );
  }
}
