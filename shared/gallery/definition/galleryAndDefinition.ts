import type { GalleryImage } from '@azure/arm-compute';
import type { AzureContext } from '../../azure/context';
import { validateDefinitionSpec, type ImageDefinitionSpec } from './spec';
import { validateGalleryName, validateImageDefinitionName } from './names';
import { ensureGallery } from './ensureGallery';
import { ensureImageDefinition } from './ensureImageDefinition';
import type { EnsureResult } from './ensureResult';

export interface GalleryDefinitionOptions {
  resourceGroup: string;
  location: string;
  gallery: string;
  galleryDescription?: string;
  imageDefinition: string;
  spec: ImageDefinitionSpec;
}

export interface GalleryDefinitionResult {
  gallery: EnsureResult;
  definition: EnsureResult;
}

/** The gallery and its image definition, reconciled in order (the definition lives inside the gallery). */
export async function reconcileGalleryAndDefinition(
  ctx: AzureContext,
  options: GalleryDefinitionOptions,
  known?: KnownDefinition,
): Promise<GalleryDefinitionResult> {
  ctx.logger.info(`Reconciling gallery '${options.gallery}' in resource group '${options.resourceGroup}'`);
  const gallery = await ensureGallery(ctx, {
    resourceGroup: options.resourceGroup,
    name: options.gallery,
    location: options.location,
    description: options.galleryDescription,
    tags: options.spec.tags,
  });
  ctx.logger.info(
    `Gallery ${gallery.action}: ${gallery.id}${gallery.changes.length ? ` (${gallery.changes.join('; ')})` : ''}`,
  );
  const definition = await ensureImageDefinition(
    ctx,
    {
      resourceGroup: options.resourceGroup,
      gallery: options.gallery,
      name: options.imageDefinition,
      location: options.location,
      spec: options.spec,
    },
    known,
  );
  ctx.logger.info(
    `Image definition ${definition.action}: ${definition.id}${definition.changes.length ? ` (${definition.changes.join('; ')})` : ''}`,
  );
  if (gallery.action === 'unchanged' && definition.action === 'unchanged') {
    ctx.logger.info('Gallery and image definition already match the inputs: nothing changed.');
  }
  return { gallery, definition };
}

/** The definition as a caller already read it (undefined: it does not exist), so it is not read twice. */
export interface KnownDefinition {
  existing: GalleryImage | undefined;
}

/**
 * The request for a gallery and its definition, checked once: everything that can be checked without Azure, so
 * bad input fails in milliseconds and writes nothing. The library trusts what this returns.
 */
export function galleryDefinitionRequest(options: GalleryDefinitionOptions): GalleryDefinitionOptions {
  validateGalleryName('galleryName', options.gallery);
  validateImageDefinitionName('imageDefinition', options.imageDefinition);
  validateDefinitionSpec(options.spec);
  return options;
}
