import type { AzureContext } from '../azure/context';
import { parseResourceId } from '../azure/resourceId';
import { readSmokeImage } from '../smoke/image';
import type { BuildRequest } from './buildRequest';
import type { OsType } from './customizations';

/**
 * The OS a build runs on: read from a managed image or gallery version (which also proves it exists and is
 * readable), or the `osType` input for a Marketplace image.
 */
export async function sourceOs(ctx: AzureContext, request: BuildRequest): Promise<OsType> {
  if (request.source.kind === 'platform') return request.osType;
  const id = parseResourceId(request.source.id, { input: 'sourceImage' });
  return (await readSmokeImage(ctx, id, 'sourceImage')).osType;
}
