import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { formatResourceId, resourceName, resourceType, type ResourceId } from '../azure/resourceId';
import { regionKey } from '../azure/regions';
import { InputError } from '../validation/inputError';

/** What a VM made from the image needs to know: OS, generation, security type, where it can be made. */
export interface SmokeImage {
  id: string;
  kind: 'managedImage' | 'galleryVersion';
  osType: 'Linux' | 'Windows';
  hyperVGeneration: 'V1' | 'V2';
  /** From the image definition: TrustedLaunch needs a Trusted Launch VM; ...Supported allows one. */
  securityType?: string;
  /** Regions a VM can be made in: a managed image's own, or every region a version is replicated to. */
  regions: string[];
  home: string;
}

export async function readSmokeImage(
  ctx: AzureContext,
  id: ResourceId,
  input = 'imageId',
): Promise<SmokeImage> {
  const client = computeClient(ctx, id.subscriptionId);
  const text = formatResourceId(id);
  const opts = { abortSignal: ctx.abortSignal };
  try {
    if (resourceType(id).toLowerCase() === 'microsoft.compute/images') {
      const image = await client.images.get(id.resourceGroup!, resourceName(id), opts);
      const home = regionKey(image.location);
      return {
        id: image.id ?? text,
        kind: 'managedImage',
        osType: image.storageProfile!.osDisk!.osType,
        hyperVGeneration: (image.hyperVGeneration ?? 'V1') as 'V1' | 'V2',
        regions: [home],
        home,
      };
    }
    const [gallery, definitionName, version] = id.names;
    const v = await client.galleryImageVersions.get(
      id.resourceGroup!,
      gallery,
      definitionName,
      version,
      opts,
    );
    const definition = await client.galleryImages.get(id.resourceGroup!, gallery, definitionName, opts);
    return {
      id: v.id ?? text,
      kind: 'galleryVersion',
      osType: definition.osType ?? 'Linux',
      hyperVGeneration: (definition.hyperVGeneration ?? 'V1') as 'V1' | 'V2',
      securityType: definition.features?.find((f) => f.name === 'SecurityType')?.value,
      regions: (v.publishingProfile?.targetRegions ?? []).map((r) => regionKey(r.name)),
      home: regionKey(v.location),
    };
  } catch (e) {
    if (isRestError(e) && e.statusCode === 404)
      throw new InputError(
        input,
        `${text} does not exist, or the service connection cannot read it (${e.code ?? 'NotFound'})`,
      );
    throw e;
  }
}
