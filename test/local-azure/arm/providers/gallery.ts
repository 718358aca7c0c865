import { ArmError, armErrors } from '../errors';
import type { ResourceStore, StoredResource } from '../store';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Compute galleries and gallery images (image definitions), shaped on GalleryRP.json
 * (specification/compute/resource-manager/Microsoft.Compute/GalleryRP) and its examples: flat ARM envelope,
 * provider state in `properties`, `provisioningState` Creating -> Succeeded through an Azure-AsyncOperation.
 */

type Props = Record<string, unknown>;

function props(body: Record<string, unknown>): Props {
  const p = body.properties;
  return p && typeof p === 'object' ? { ...(p as Props) } : {};
}

/** The rule Azure reports for gallery names (letters, digits, '_' and '.', not starting or ending with '.'). */
const GALLERY_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9_])?$/;
const IMAGE_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;

function nestedIds(store: ResourceStore, resource: StoredResource): string[] {
  return store
    .descendants(resource.id)
    .map((r) => r.id.slice(r.id.toLowerCase().indexOf('/providers/') + '/providers/'.length));
}

function refuseNested(resource: StoredResource, store: ResourceStore): void {
  const nested = nestedIds(store, resource);
  if (nested.length > 0) {
    throw new ArmError(
      409,
      'CannotDeleteResource',
      `Cannot delete resource while nested resources exist. Some existing nested resource IDs include: '${nested.slice(0, 5).join(', ')}'. Please delete all nested resources before deleting this resource.`,
    );
  }
}

export const galleries: ResourceTypeSpec = {
  type: 'Microsoft.Compute/galleries',
  asyncCreate: true,
  asyncDelete: true,
  write(ctx) {
    if (!GALLERY_NAME.test(ctx.name)) {
      throw armErrors.invalidParameter(
        `The entity name 'galleryName' is invalid according to its validation rule: ^[^_\\W][\\w-._]{0,79}(?<![-.])$.`,
        'galleryName',
      );
    }
    const requested = props(ctx.body);
    const properties: Props = { ...(ctx.existing?.properties ?? {}) };
    if ('description' in requested) properties.description = requested.description;
    if (requested.sharingProfile) properties.sharingProfile = requested.sharingProfile;
    if (requested.softDeletePolicy) properties.softDeletePolicy = requested.softDeletePolicy;
    properties.identifier = { uniqueName: `${ctx.subscriptionId}-${ctx.name.toUpperCase()}` };
    delete properties.provisioningState;
    return {
      ...trackedResource(ctx),
      properties,
    };
  },
  beforeDelete: ({ resource, store }) => refuseNested(resource, store),
  actions: {
    // POST {gallery}/share (gallerySharingProfile.update): direct sharing with subscriptions and tenants, or
    // switching a community gallery on, as a long-running operation.
    share({ resource, body }) {
      const operation = String(body.operationType ?? '');
      const profile = {
        ...((resource.properties.sharingProfile as Props | undefined) ?? { permissions: 'Private' }),
      };
      const groups = ((profile.groups as { type: string; ids: string[] }[] | undefined) ?? []).map((g) => ({
        ...g,
        ids: [...g.ids],
      }));
      const requested = (body.groups as { type?: string; ids?: string[] }[] | undefined) ?? [];
      for (const g of requested) {
        if (!['Subscriptions', 'AADTenants'].includes(String(g.type))) {
          throw armErrors.invalidParameter(
            `The sharing group type '${String(g.type)}' is not valid; use Subscriptions or AADTenants.`,
            'groups.type',
          );
        }
      }
      switch (operation) {
        case 'Add':
        case 'Remove':
          if (profile.permissions !== 'Groups') {
            throw new ArmError(
              409,
              'OperationNotAllowed',
              `Gallery '${resource.name}' is not enabled for direct sharing: its sharingProfile.permissions is '${String(profile.permissions)}', not 'Groups'.`,
            );
          }
          for (const g of requested) {
            let group = groups.find((x) => x.type === g.type);
            if (!group) groups.push((group = { type: String(g.type), ids: [] }));
            for (const id of g.ids ?? []) {
              const has = group.ids.some((x) => x.toLowerCase() === id.toLowerCase());
              if (operation === 'Add' && !has) group.ids.push(id);
              if (operation === 'Remove' && has)
                group.ids = group.ids.filter((x) => x.toLowerCase() !== id.toLowerCase());
            }
          }
          profile.groups = groups.filter((g) => g.ids.length > 0);
          break;
        case 'Reset':
          profile.groups = [];
          profile.permissions = 'Private';
          break;
        case 'EnableCommunity': {
          const info = (profile.communityGalleryInfo ?? {}) as Props;
          if (profile.permissions !== 'Community') {
            throw new ArmError(
              409,
              'OperationNotAllowed',
              `Gallery '${resource.name}' must have sharingProfile.permissions 'Community' before community sharing is enabled.`,
            );
          }
          for (const field of ['publisherUri', 'publisherContact', 'eula', 'publicNamePrefix']) {
            if (!info[field])
              throw armErrors.invalidParameter(
                `communityGalleryInfo.${field} is required to enable a community gallery.`,
                `communityGalleryInfo.${field}`,
              );
          }
          profile.communityGalleryInfo = {
            ...info,
            communityGalleryEnabled: true,
            publicNames: [`${String(info.publicNamePrefix)}-${resource.name.toLowerCase()}`],
          };
          break;
        }
        default:
          throw armErrors.invalidParameter(
            `The value '${operation}' of operationType is not allowed. Allowed values are 'Add', 'Remove', 'Reset', 'EnableCommunity'.`,
            'operationType',
          );
      }
      return {
        async: {
          // GallerySharingProfile_Update answers 202 with the SharingUpdate it accepted.
          acceptedBody: { operationType: operation, groups: requested },
          complete: () => {
            resource.properties.sharingProfile = profile;
            return { operationType: operation, groups: requested };
          },
        },
      };
    },
  },
};

const OS_TYPES = ['Windows', 'Linux'];
const OS_STATES = ['Generalized', 'Specialized'];
const GENERATIONS = ['V1', 'V2'];
const ARCHITECTURES = ['x64', 'Arm64'];
const SECURITY_TYPES = [
  'Standard',
  'TrustedLaunchSupported',
  'TrustedLaunch',
  'ConfidentialVM',
  'ConfidentialVmSupported',
  'TrustedLaunchAndConfidentialVmSupported',
];

function feature(p: Props, name: string): string | undefined {
  const list = Array.isArray(p.features) ? (p.features as { name?: string; value?: string }[]) : [];
  return list.find((f) => f.name?.toLowerCase() === name.toLowerCase())?.value;
}

function enumValue(value: unknown, allowed: string[], property: string): string {
  const match = allowed.find((a) => a.toLowerCase() === String(value).toLowerCase());
  if (!match) {
    throw armErrors.invalidParameter(
      `The value '${String(value)}' of parameter '${property}' is not allowed. Allowed values are '${allowed.join("', '")}'.`,
      property,
    );
  }
  return match;
}

export const galleryImages: ResourceTypeSpec = {
  type: 'Microsoft.Compute/galleries/images',
  asyncCreate: true,
  asyncDelete: true,
  write(ctx) {
    if (!IMAGE_NAME.test(ctx.name)) {
      throw armErrors.invalidParameter(
        `The entity name 'galleryImageName' is invalid according to its validation rule: ^[^_\\W][\\w-._]{0,79}(?<![-.])$.`,
        'galleryImageName',
      );
    }
    const p = props(ctx.body);
    for (const required of ['osType', 'osState', 'identifier']) {
      if (p[required] === undefined) {
        throw armErrors.invalidParameter(
          `Required parameter '${required}' is missing (null).`,
          `galleryImage.properties.${required}`,
        );
      }
    }
    const identifier = p.identifier as { publisher?: string; offer?: string; sku?: string };
    for (const part of ['publisher', 'offer', 'sku'] as const) {
      if (!identifier[part])
        throw armErrors.invalidParameter(
          `Required parameter '${part}' is missing (null).`,
          `galleryImage.properties.identifier.${part}`,
        );
    }
    p.osType = enumValue(p.osType, OS_TYPES, 'osType');
    p.osState = enumValue(p.osState, OS_STATES, 'osState');
    p.hyperVGeneration = enumValue(p.hyperVGeneration ?? 'V1', GENERATIONS, 'hyperVGeneration');
    p.architecture = enumValue(p.architecture ?? 'x64', ARCHITECTURES, 'architecture');
    const security = feature(p, 'SecurityType');
    if (security !== undefined) {
      enumValue(security, SECURITY_TYPES, 'features.SecurityType');
      if (security !== 'Standard' && p.hyperVGeneration !== 'V2') {
        throw armErrors.invalidParameter(
          `The feature 'SecurityType' with value '${security}' is supported only for Hyper-V generation 'V2' images.`,
          'galleryImage.properties.features',
        );
      }
    }
    if (p.endOfLifeDate !== undefined && Number.isNaN(Date.parse(String(p.endOfLifeDate)))) {
      throw armErrors.invalidParameter(
        `The value of parameter 'endOfLifeDate' is invalid.`,
        'galleryImage.properties.endOfLifeDate',
      );
    }
    if (ctx.existing) {
      const before = ctx.existing.properties;
      const immutable: [string, unknown, unknown][] = [
        ['osType', before.osType, p.osType],
        ['osState', before.osState, p.osState],
        ['hyperVGeneration', before.hyperVGeneration, p.hyperVGeneration],
        ['architecture', before.architecture, p.architecture],
        [
          'identifier',
          JSON.stringify(before.identifier),
          JSON.stringify({ publisher: identifier.publisher, offer: identifier.offer, sku: identifier.sku }),
        ],
        [
          'features.SecurityType',
          feature(before, 'SecurityType') ?? 'Standard',
          security ?? feature(before, 'SecurityType') ?? 'Standard',
        ],
      ];
      for (const [name, was, now] of immutable) {
        // A Gen2 definition may be upgraded from Standard to Trusted Launch when the request says it means to
        // (allowUpdateImage); every other change of what a definition is stays refused.
        const upgrade =
          name === 'features.SecurityType' &&
          was === 'Standard' &&
          ['TrustedLaunchSupported', 'TrustedLaunchAndConfidentialVmSupported'].includes(String(now)) &&
          p.allowUpdateImage === true;
        if (String(was) !== String(now) && !upgrade)
          throw armErrors.propertyChangeNotAllowed(`galleryImage.properties.${name}`);
      }
    } else {
      const sameIdentifier = ctx.store
        .children(ctx.parent!.id, 'Microsoft.Compute/galleries/images')
        .find((r) => {
          const other = r.properties.identifier as typeof identifier;
          return (
            r.id.toLowerCase() !== ctx.id.toLowerCase() &&
            other.publisher === identifier.publisher &&
            other.offer === identifier.offer &&
            other.sku === identifier.sku
          );
        });
      if (sameIdentifier) {
        throw new ArmError(
          409,
          'Conflict',
          `An image definition with the same publisher, offer and sku already exists in the gallery: '${sameIdentifier.name}'.`,
        );
      }
    }
    p.identifier = { publisher: identifier.publisher, offer: identifier.offer, sku: identifier.sku };
    delete p.provisioningState;
    return {
      ...trackedResource(ctx),
      properties: p,
    };
  },
  beforeDelete: ({ resource, store }) => refuseNested(resource, store),
};
