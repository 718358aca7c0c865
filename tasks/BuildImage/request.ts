import { parseCustomizations } from '../../shared/builders/customizations';
import type { BuildRequest } from '../../shared/builders/buildRequest';
import { parseSourceImage, type SourceImage } from '../../shared/builders/sourceImage';
import {
  readBoolean,
  readDuration,
  readEnum,
  readInt,
  readLines,
  readList,
  readRegion,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import { formatResourceId } from '../../shared/azure/resourceId';
import { InputError } from '../../shared/validation/inputError';

/** Image Builder's own limit, which the task keeps for both builders. */
const MAX_TIMEOUT_SECONDS = 16 * 3600;

export function readTimeout(): number {
  const seconds = readDuration('timeout', { defaultSeconds: 7200, maxSeconds: MAX_TIMEOUT_SECONDS });
  if (seconds < 60)
    throw new InputError('timeout', `${seconds} s is too short for an image build; give at least 1m`);
  return seconds;
}

/** The inputs both builders share, as the typed request `shared/builders` takes. */
export function readBuildRequest(options: { sourceOptional: boolean }): BuildRequest {
  const sourceText = readString('sourceImage', { required: !options.sourceOptional });
  const source: SourceImage = sourceText
    ? parseSourceImage(sourceText)
    : { kind: 'platform', publisher: '', offer: '', sku: '', version: '' };
  const osType = readEnum('osType', ['Linux', 'Windows'] as const, 'Linux');
  const osDisk = readString('osDiskSizeGB');
  return {
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    source,
    osType,
    customizations: parseCustomizations(readLines('customizationScripts'), { baseDirectory: process.cwd() }),
    baseline: readBoolean('baseline'),
    distribution: {
      galleryImageId: readString('targetImageVersionId'),
      managedImageId: readString('targetManagedImageId'),
      replicationRegions: readList('replicationRegions'),
      vhdUrl: readString('targetVhdUrl'),
    },
    timeoutSeconds: readTimeout(),
    vmSize: readString('vmSize', { default: 'Standard_D2s_v5' })!,
    osDiskSizeGB: osDisk ? readInt('osDiskSizeGB', { min: 30, max: 4095 }) : undefined,
    subnetId: (() => {
      const id = readResourceId('subnetId', { expectedType: 'Microsoft.Network/virtualNetworks/subnets' });
      return id ? formatResourceId(id) : undefined;
    })(),
  };
}
