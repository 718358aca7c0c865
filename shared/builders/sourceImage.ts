import { expectResourceType, parseResourceId } from '../azure/resourceId';
import { InputError } from '../validation/inputError';

/** Where a build starts: a Marketplace image, a managed image, or a gallery image version. */
export type SourceImage =
  | { kind: 'platform'; publisher: string; offer: string; sku: string; version: string }
  | { kind: 'managedImage'; id: string }
  | { kind: 'galleryVersion'; id: string };

const URN_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VERSION = /^(latest|\d+\.\d+\.\d+)$/i;

/**
 * `publisher:offer:sku:version` (version `latest` or `major.minor.patch`, as `az vm image list` prints it), or the
 * resource id of a managed image or a gallery image version. Checked before any Azure call.
 */
export function parseSourceImage(text: string, input = 'sourceImage'): SourceImage {
  const value = text.trim();
  if (!value)
    throw new InputError(input, 'is empty; give publisher:offer:sku:version or an image resource id');
  if (value.startsWith('/')) {
    const id = parseResourceId(value, { input });
    expectResourceType(
      input,
      id,
      ['Microsoft.Compute/images', 'Microsoft.Compute/galleries/images/versions'],
      'a managed image or a gallery image version',
    );
    return id.types.length === 1
      ? { kind: 'managedImage', id: value }
      : { kind: 'galleryVersion', id: value };
  }
  const parts = value.split(':');
  if (parts.length !== 4 || parts.slice(0, 3).some((p) => !URN_PART.test(p)))
    throw new InputError(
      input,
      `'${value}' is neither publisher:offer:sku:version (e.g. Canonical:ubuntu-24_04-lts:server:latest) nor a resource id`,
    );
  if (!VERSION.test(parts[3]))
    throw new InputError(input, `version '${parts[3]}' must be 'latest' or major.minor.patch`);
  const [publisher, offer, sku, version] = parts;
  return { kind: 'platform', publisher, offer, sku, version };
}

export function describeSource(source: SourceImage): string {
  return source.kind === 'platform'
    ? `${source.publisher}:${source.offer}:${source.sku}:${source.version}`
    : source.id;
}
