import type { Disk } from '@azure/arm-compute';
import { computeClient, lroOptions } from '../azure/clients';
import type { AzureContext } from '../azure/context';
import { step } from '../azure/errors';
import type { CopyTarget } from './snapshots';

/**
 * A managed disk made from one disk of a managed image (createOption FromImage): the OS disk, or the data disk at
 * `lun`. This reads the image's own copy of its disks, so it works when the disks and snapshots the image was made
 * from are long gone. The disk must be in the image's region.
 */
export async function diskFromImage(
  ctx: AzureContext,
  image: { id: string; location: string; lun?: number },
  target: CopyTarget,
): Promise<Disk> {
  const body: Disk = {
    location: image.location,
    creationData: { createOption: 'FromImage', imageReference: { id: image.id, lun: image.lun } },
    tags: target.tags,
  };
  const which = image.lun === undefined ? 'OS disk' : `data disk LUN ${image.lun}`;
  return step(
    `creating disk '${target.name}' from the ${which} of image '${image.id.split('/').pop()}'`,
    () => computeClient(ctx).disks.createOrUpdate(target.resourceGroup, target.name, body, lroOptions(ctx)),
    ctx.abortSignal,
  );
}
