import type { StoredResource } from '../store';
import { requiredLocation } from './location';
import type { WriteContext } from './types';

/**
 * What every tracked resource a PUT writes starts with: its id and name, its location (required, normalised,
 * fixed once it exists) and the request's tags. The engine fills in the type.
 */
export function trackedResource(
  ctx: WriteContext,
): Pick<StoredResource, 'id' | 'name' | 'type' | 'location' | 'tags'> {
  return {
    id: ctx.id,
    name: ctx.name,
    type: '',
    location: requiredLocation(ctx),
    tags: ctx.body.tags as Record<string, string> | undefined,
  };
}
