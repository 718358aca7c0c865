import { ArmError } from '../errors';
import { REGION_NAMES, regionName } from '../regions';
import type { WriteContext } from './types';

/**
 * The location of a tracked resource as ARM treats it: required, normalised (`West Europe` → `westeurope`),
 * and fixed once the resource exists.
 */
export function requiredLocation(ctx: WriteContext): string {
  const value = ctx.body.location;
  if (typeof value !== 'string' || !value) {
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  }
  const normal = regionName(value);
  if (!normal) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${value}' is not available for resource type. List of available regions for the resource type is '${REGION_NAMES.join(',')}'.`,
    );
  }
  if (ctx.existing && ctx.existing.location !== normal) {
    throw new ArmError(
      409,
      'InvalidResourceLocation',
      `The resource '${ctx.name}' already exists in location '${ctx.existing.location}'. A resource with the same name cannot be created in location '${normal}'.`,
    );
  }
  return normal;
}
