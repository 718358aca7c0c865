import { InputError } from '../../validation/inputError';
import { validateGalleryName, validateImageDefinitionName } from '../definition/names';
import { formatVersion, parseVersion } from './number';

/** Where an image definition lives, by the names the task's inputs give. */
export interface DefinitionRef {
  resourceGroup: string;
  gallery: string;
  image: string;
}

/** Where a gallery image version lives. */
export interface GalleryVersionRef extends DefinitionRef {
  version: string;
}

/** The definition a mode works on, checked once before Azure is asked (errors name the input). */
export function definitionRef(inputs: DefinitionRef): DefinitionRef {
  if (!inputs.resourceGroup.trim()) throw new InputError('resourceGroupName', 'is required');
  validateGalleryName('galleryName', inputs.gallery);
  validateImageDefinitionName('imageDefinition', inputs.image);
  return inputs;
}

/** The version a mode works on; the version number is normalised (`01.2.3` → `1.2.3`). */
export function versionRef(inputs: DefinitionRef & { version: string }): GalleryVersionRef {
  return { ...definitionRef(inputs), version: formatVersion(parseVersion('version', inputs.version)) };
}

/** resolve looks at one region, or at every region when none is given. */
export function resolveRegion(regions: string[]): string | undefined {
  if (regions.length > 1) throw new InputError('regions', 'resolve looks at one region at a time');
  return regions[0];
}
