import {
  galleryDefinitionSummary,
  reconcileGalleryAndDefinition,
  validateGalleryDefinitionOptions,
  type GalleryDefinitionOptions,
} from '../../shared/gallery/shareToGallery';
import {
  ARCHITECTURES,
  GENERATIONS,
  OS_STATES,
  OS_TYPES,
  SECURITY_TYPES,
} from '../../shared/gallery/definitionSpec';
import { createAzureContext } from '../../shared/pipeline/azureContext';
import {
  readBoolean,
  readDate,
  readEnum,
  readKeyValues,
  readList,
  readRegion,
  readString,
} from '../../shared/pipeline/inputs';
import { setOutput } from '../../shared/pipeline/outputs';
import { runTask } from '../../shared/pipeline/runTask';
import { readAzureRmConnection } from '../../shared/pipeline/serviceConnection';
import { uploadSummary } from '../../shared/pipeline/summary';

function readOptions(): GalleryDefinitionOptions {
  readEnum('mode', ['ensureDefinition'], 'ensureDefinition');
  const acceleratedNetworking = readString('acceleratedNetworking');
  return {
    resourceGroup: readString('resourceGroupName', { required: true }),
    location: readRegion('location', { required: true }),
    gallery: readString('galleryName', { required: true }),
    galleryDescription: readString('galleryDescription'),
    imageDefinition: readString('imageDefinition', { required: true }),
    spec: {
      osType: readEnum('osType', OS_TYPES),
      osState: readEnum('osState', OS_STATES, 'Generalized'),
      hyperVGeneration: readEnum('hyperVGeneration', GENERATIONS, 'V2'),
      architecture: readEnum('architecture', ARCHITECTURES, 'x64'),
      securityType: readEnum('securityType', SECURITY_TYPES, 'TrustedLaunchSupported'),
      acceleratedNetworking:
        acceleratedNetworking === undefined ? undefined : readBoolean('acceleratedNetworking'),
      diskControllerTypes: readList('diskControllerTypes'),
      publisher: readString('publisher', { required: true }),
      offer: readString('offer', { required: true }),
      sku: readString('sku', { required: true }),
      description: readString('definitionDescription'),
      endOfLifeDate: readDate('endOfLifeDate'),
      tags: readKeyValues('tags'),
    },
  };
}

void runTask('ShareToGallery', async ({ signal }) => {
  const options = readOptions();
  validateGalleryDefinitionOptions(options);
  const connection = await readAzureRmConnection();
  const ctx = createAzureContext(connection, { task: 'ShareToGallery', signal });
  const result = await reconcileGalleryAndDefinition(ctx, options);
  setOutput('galleryId', result.gallery.id);
  setOutput('imageDefinitionId', result.definition.id);
  setOutput('imageDefinitionAction', result.definition.action);
  uploadSummary('ShareToGallery', galleryDefinitionSummary(options, result));
});
