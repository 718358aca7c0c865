import type { AzureContext } from '../azure/context';
import { code, markdownEscape, markdownTable } from '../report/markdown';
import { validateDefinitionSpec, type ImageDefinitionSpec } from './definitionSpec';
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
): Promise<GalleryDefinitionResult> {
  validateGalleryDefinitionOptions(options);
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
  const definition = await ensureImageDefinition(ctx, {
    resourceGroup: options.resourceGroup,
    gallery: options.gallery,
    name: options.imageDefinition,
    location: options.location,
    spec: options.spec,
  });
  ctx.logger.info(
    `Image definition ${definition.action}: ${definition.id}${definition.changes.length ? ` (${definition.changes.join('; ')})` : ''}`,
  );
  if (gallery.action === 'unchanged' && definition.action === 'unchanged') {
    ctx.logger.info('Gallery and image definition already match the inputs: nothing changed.');
  }
  return { gallery, definition };
}

/** Everything that can be checked without Azure, so bad input fails in milliseconds and writes nothing. */
export function validateGalleryDefinitionOptions(options: GalleryDefinitionOptions): void {
  validateGalleryName('galleryName', options.gallery);
  validateImageDefinitionName('imageDefinition', options.imageDefinition);
  validateDefinitionSpec(options.spec);
}

export function galleryDefinitionSummary(
  options: GalleryDefinitionOptions,
  result: GalleryDefinitionResult,
): string {
  const s = options.spec;
  const row = (what: string, r: EnsureResult) => [
    what,
    r.action,
    code(r.id),
    markdownEscape(r.changes.join('; ') || '-'),
  ];
  return [
    `## Azure Compute Gallery: ${markdownEscape(options.gallery)} / ${markdownEscape(options.imageDefinition)}`,
    '',
    markdownTable(
      ['resource', 'action', 'id', 'changes'],
      [row('gallery', result.gallery), row('image definition', result.definition)],
    ),
    '',
    `Definition: ${s.osType}, ${s.osState}, Hyper-V ${s.hyperVGeneration}, ${s.architecture}, security type ${s.securityType}, ` +
      `identifier ${markdownEscape(`${s.publisher}/${s.offer}/${s.sku}`)}.`,
    '',
  ].join('\n');
}
