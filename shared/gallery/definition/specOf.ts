import type { GalleryImage } from '@azure/arm-compute';
import type {
  Architecture,
  HyperVGeneration,
  ImageDefinitionSpec,
  OsState,
  OsType,
  SecurityType,
} from './spec';

/**
 * The spec an existing definition was made with: what a copy of its versions into another gallery needs, so the
 * target definition is created the same (or compared with it). Tags are left out: they belong to each gallery.
 */
export function specOf(definition: GalleryImage): ImageDefinitionSpec {
  const feature = (name: string) =>
    definition.features?.find((f) => f.name?.toLowerCase() === name.toLowerCase())?.value;
  const accelerated = feature('IsAcceleratedNetworkSupported');
  const controllers = feature('DiskControllerTypes');
  return {
    osType: definition.osType as OsType,
    osState: definition.osState as OsState,
    hyperVGeneration: (definition.hyperVGeneration ?? 'V1') as HyperVGeneration,
    architecture: (definition.architecture ?? 'x64') as Architecture,
    securityType: (feature('SecurityType') ?? 'Standard') as SecurityType,
    acceleratedNetworking: accelerated === undefined ? undefined : accelerated.toLowerCase() === 'true',
    diskControllerTypes: controllers ? controllers.split(',').map((c) => c.trim()) : undefined,
    publisher: definition.identifier?.publisher ?? '',
    offer: definition.identifier?.offer ?? '',
    sku: definition.identifier?.sku ?? '',
    description: definition.description,
  };
}
