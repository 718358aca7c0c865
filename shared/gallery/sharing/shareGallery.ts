import { createHash } from 'node:crypto';
import type { Gallery, SharingProfileGroup } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { authorizationClient, computeClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { validateGalleryName } from '../definition/names';
import { InputError } from '../../validation/inputError';

export type PrincipalType = 'User' | 'Group' | 'ServicePrincipal';

export interface PrincipalGrant {
  objectId: string;
  type: PrincipalType;
}

export interface CommunityInfo {
  publicNamePrefix: string;
  publisherUri: string;
  publisherContact: string;
  eula: string;
}

export interface SharingOptions {
  resourceGroup: string;
  gallery: string;
  principals: PrincipalGrant[];
  /** Built-in role name (Reader by default) or role definition GUID. */
  role: string;
  subscriptions: string[];
  tenants: string[];
  community?: CommunityInfo;
}

export interface SharingResult {
  galleryId: string;
  grants: { principal: string; type: PrincipalType; role: string; action: 'created' | 'exists' }[];
  directShare: { added: string[]; alreadyShared: string[] };
  community?: { publicNames: string[] };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Built-in role ids are the same in every Azure cloud. */
export const BUILT_IN_ROLES: Record<string, string> = {
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  'compute gallery sharing admin': '1ef6a3be-d0ac-425d-8c01-acb62866290b',
};

export function roleGuid(role: string): string {
  const guid = GUID.test(role.trim()) ? role.trim() : BUILT_IN_ROLES[role.trim().toLowerCase()];
  if (!guid) {
    throw new InputError(
      'roleDefinition',
      `'${role}' is neither a role definition GUID nor a built-in role this task knows (${Object.keys(BUILT_IN_ROLES).join(', ')})`,
    );
  }
  return guid.toLowerCase();
}

/** `objectId [User|Group|ServicePrincipal]`, one per line. */
export function parsePrincipals(input: string, lines: string[]): PrincipalGrant[] {
  return lines.map((line) => {
    const [objectId, type = 'Group'] = line.trim().split(/\s+/);
    if (!GUID.test(objectId))
      throw new InputError(
        input,
        `'${objectId}' is not an object id (GUID) of a user, group or service principal`,
      );
    const known = (['User', 'Group', 'ServicePrincipal'] as const).find(
      (t) => t.toLowerCase() === type.toLowerCase(),
    );
    if (!known)
      throw new InputError(
        input,
        `'${line.trim()}': principal type '${type}' is not User, Group or ServicePrincipal`,
      );
    return { objectId: objectId.toLowerCase(), type: known };
  });
}

/** The sharing request, checked once (errors name the input); shareGallery trusts it. */
export function sharingRequest(o: SharingOptions): SharingOptions {
  validateGalleryName('galleryName', o.gallery);
  roleGuid(o.role);
  for (const id of o.subscriptions)
    if (!GUID.test(id))
      throw new InputError('shareWithSubscriptions', `'${id}' is not a subscription id (GUID)`);
  for (const id of o.tenants)
    if (!GUID.test(id)) throw new InputError('shareWithTenants', `'${id}' is not a tenant id (GUID)`);
  if (o.community && (o.subscriptions.length || o.tenants.length)) {
    throw new InputError(
      'communityPublicNamePrefix',
      'a gallery is either shared directly with subscriptions and tenants, or a community gallery; not both',
    );
  }
  if (o.community) {
    for (const [field, value] of Object.entries(o.community)) {
      const input = `community${field[0].toUpperCase()}${field.slice(1)}`;
      if (!value) throw new InputError(input, 'is required to publish a community gallery');
    }
    if (!/^https:\/\//i.test(o.community.publisherUri))
      throw new InputError('communityPublisherUri', `'${o.community.publisherUri}' must be an https URL`);
  }
  if (!o.principals.length && !o.subscriptions.length && !o.tenants.length && !o.community) {
    throw new InputError(
      'principals',
      'nothing to share: give principals, subscriptions or tenants to share with, or community gallery details',
    );
  }
  return o;
}

/** The same assignment always gets the same name, so a re-run finds it instead of adding a duplicate. */
function assignmentName(scope: string, principal: string, role: string): string {
  const h = createHash('sha256').update(`${scope.toLowerCase()}|${principal}|${role}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Shares a gallery: role assignments on it (Reader by default) for principals in this tenant, direct sharing
 * with other subscriptions and tenants (sharing profile Groups), or community gallery publishing. Idempotent.
 */
export async function shareGallery(ctx: AzureContext, o: SharingOptions): Promise<SharingResult> {
  const compute = computeClient(ctx);
  const gallery = await compute.galleries
    .get(o.resourceGroup, o.gallery, { abortSignal: ctx.abortSignal })
    .catch((e: unknown) => {
      if (isRestError(e) && e.statusCode === 404) {
        throw new InputError(
          e.code === 'ResourceGroupNotFound' ? 'resourceGroupName' : 'galleryName',
          `gallery '${o.gallery}' in resource group '${o.resourceGroup}' does not exist; publish to it first`,
        );
      }
      throw e;
    });
  const scope = gallery.id!;
  const result: SharingResult = {
    galleryId: scope,
    grants: [],
    directShare: { added: [], alreadyShared: [] },
  };
  const role = roleGuid(o.role);
  const roleDefinitionId = `/subscriptions/${ctx.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`;
  const auth = authorizationClient(ctx);
  for (const p of o.principals) {
    const grant = { principal: p.objectId, type: p.type, role: o.role };
    try {
      let status = 0;
      await auth.roleAssignments.create(
        // The SDK puts the scope after a '/' of its own.
        scope.replace(/^\/+/, ''),
        assignmentName(scope, p.objectId, role),
        { roleDefinitionId, principalId: p.objectId, principalType: p.type },
        { abortSignal: ctx.abortSignal, onResponse: (raw) => (status = raw.status) },
      );
      // 201: a new assignment; 200: this task made the same one before (its name is derived from its content).
      result.grants.push({ ...grant, action: status === 201 ? 'created' : 'exists' });
    } catch (e) {
      if (isRestError(e) && e.code === 'RoleAssignmentExists')
        result.grants.push({ ...grant, action: 'exists' });
      else throw e;
    }
  }
  if (o.subscriptions.length || o.tenants.length) await shareDirectly(ctx, o, gallery, result);
  if (o.community) result.community = await publishCommunity(ctx, o, gallery, o.community);
  return result;
}

async function shareDirectly(
  ctx: AzureContext,
  o: SharingOptions,
  gallery: Gallery,
  result: SharingResult,
): Promise<void> {
  const compute = computeClient(ctx);
  if (gallery.sharingProfile?.permissions !== 'Groups') {
    await compute.galleries.update(
      o.resourceGroup,
      o.gallery,
      { sharingProfile: { permissions: 'Groups' } },
      lroOptions(ctx),
    );
  }
  const current = gallery.sharingProfile?.groups ?? [];
  const has = (type: string, id: string) =>
    current.some((g) => g.type === type && (g.ids ?? []).some((x) => x.toLowerCase() === id.toLowerCase()));
  const groups: SharingProfileGroup[] = [];
  for (const [type, ids] of [
    ['Subscriptions', o.subscriptions],
    ['AADTenants', o.tenants],
  ] as const) {
    const missing = ids.filter((id) => !has(type, id));
    result.directShare.alreadyShared.push(...ids.filter((id) => has(type, id)));
    result.directShare.added.push(...missing);
    if (missing.length) groups.push({ type, ids: missing });
  }
  if (groups.length)
    await compute.gallerySharingProfile.update(
      o.resourceGroup,
      o.gallery,
      { operationType: 'Add', groups },
      lroOptions(ctx),
    );
}

async function publishCommunity(
  ctx: AzureContext,
  o: SharingOptions,
  gallery: Gallery,
  info: CommunityInfo,
): Promise<{ publicNames: string[] }> {
  const compute = computeClient(ctx);
  if (!gallery.sharingProfile?.communityGalleryInfo?.communityGalleryEnabled) {
    await compute.galleries.update(
      o.resourceGroup,
      o.gallery,
      { sharingProfile: { permissions: 'Community', communityGalleryInfo: { ...info } } },
      lroOptions(ctx),
    );
    await compute.gallerySharingProfile.update(
      o.resourceGroup,
      o.gallery,
      { operationType: 'EnableCommunity' },
      lroOptions(ctx),
    );
  }
  const after = await compute.galleries.get(o.resourceGroup, o.gallery, { abortSignal: ctx.abortSignal });
  return { publicNames: after.sharingProfile?.communityGalleryInfo?.publicNames ?? [] };
}
