import { jsonBody, type LocalAnswer, type LocalRequest } from '../http';
import { ArmError } from './errors';
import { resourceBody, type ResourceStore, type StoredResource } from './store';

/*
 * Microsoft.Authorization/roleAssignments, an extension resource at any scope, shaped on the authorization
 * spec (RoleAssignmentsCalls): the name is a GUID, the role definition must exist, a second assignment of the same
 * role to the same principal at the same scope is refused with RoleAssignmentExists, and the scope must exist.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATH = /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments(?:\/([^/]+))?\/?$/i;
const TYPE = 'Microsoft.Authorization/roleAssignments';

/** Built-in roles the local Azure knows (their ids are the same in every cloud). */
export const BUILT_IN_ROLES: Record<string, string> = {
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  'b24988ac-6180-42a0-ab88-20f7382dd24c': 'Contributor',
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  '1ef6a3be-d0ac-425d-8c01-acb62866290b': 'Compute Gallery Sharing Admin',
};

const DEFINITION_PATH = /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)\/?$/i;

/** GET {scope}/providers/Microsoft.Authorization/roleDefinitions/{id}: the built-in roles, read-only. */
function roleDefinition(req: LocalRequest, scope: string, guid: string): LocalAnswer {
  const roleName = BUILT_IN_ROLES[guid.toLowerCase()];
  if (req.method !== 'GET')
    throw new ArmError(405, 'MethodNotAllowed', 'Built-in role definitions are read-only.');
  if (!roleName)
    throw new ArmError(
      404,
      'RoleDefinitionDoesNotExist',
      `The specified role definition with ID '${guid}' does not exist.`,
    );
  return {
    status: 200,
    body: {
      id: `${scope}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
      name: guid,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName,
        type: 'BuiltInRole',
        description: `The built-in ${roleName} role.`,
        assignableScopes: ['/'],
        permissions: [
          {
            actions: roleName === 'Reader' ? ['*/read'] : ['*'],
            notActions: [],
            dataActions: [],
            notDataActions: [],
          },
        ],
      },
    },
  };
}

export function handleRoleAssignments(req: LocalRequest, store: ResourceStore): LocalAnswer | undefined {
  const definition = DEFINITION_PATH.exec(req.url.pathname);
  if (definition)
    return roleDefinition(req, decodeURIComponent(definition[1]), decodeURIComponent(definition[2]));
  const match = PATH.exec(req.url.pathname);
  if (!match) return undefined;
  const scope = decodeURIComponent(match[1]);
  const name = match[2] && decodeURIComponent(match[2]);
  const scopeExists = /^\/subscriptions\/[^/]+\/?$/i.test(scope) || store.get(scope);
  if (!scopeExists) {
    throw new ArmError(404, 'ResourceNotFound', `The scope '${scope}' of the role assignment was not found.`);
  }
  const atScope = () =>
    store
      .all()
      .filter((r) => r.type === TYPE && String(r.properties.scope).toLowerCase() === scope.toLowerCase());
  if (!name) {
    if (req.method !== 'GET')
      throw new ArmError(405, 'MethodNotAllowed', `${req.method} is not supported here.`);
    return { status: 200, body: { value: atScope().map(resourceBody) } };
  }
  const id = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const existing = store.get(id);
  switch (req.method) {
    case 'GET':
      if (!existing)
        throw new ArmError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
      return { status: 200, body: resourceBody(existing) };
    case 'DELETE':
      if (!existing) return { status: 204 };
      store.delete(id);
      return { status: 200, body: resourceBody(existing) };
    case 'PUT': {
      if (!GUID.test(name)) {
        throw new ArmError(
          400,
          'InvalidRoleAssignmentId',
          `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
        );
      }
      const p = ((jsonBody(req) as { properties?: Record<string, unknown> } | undefined)?.properties ??
        {}) as Record<string, unknown>;
      const roleDefinitionId = String(p.roleDefinitionId ?? '');
      const roleGuid = roleDefinitionId.split('/').pop() ?? '';
      if (
        !/\/providers\/Microsoft\.Authorization\/roleDefinitions\//i.test(roleDefinitionId) ||
        !BUILT_IN_ROLES[roleGuid.toLowerCase()]
      ) {
        throw new ArmError(
          400,
          'RoleDefinitionDoesNotExist',
          `The specified role definition with ID '${roleGuid}' does not exist.`,
        );
      }
      const principalId = String(p.principalId ?? '');
      if (!GUID.test(principalId)) {
        throw new ArmError(
          400,
          'InvalidPrincipalId',
          `A valid principal ID must be provided for role assignment; '${principalId}' is not a GUID.`,
        );
      }
      if (existing) {
        if (
          String(existing.properties.principalId) !== principalId ||
          String(existing.properties.roleDefinitionId).toLowerCase() !== roleDefinitionId.toLowerCase()
        ) {
          throw new ArmError(
            400,
            'RoleAssignmentUpdateNotPermitted',
            'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
          );
        }
        return { status: 200, body: resourceBody(existing) };
      }
      const duplicate = atScope().find(
        (r) =>
          String(r.properties.principalId) === principalId &&
          String(r.properties.roleDefinitionId).toLowerCase() === roleDefinitionId.toLowerCase(),
      );
      if (duplicate) throw new ArmError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
      const resource: StoredResource = {
        id,
        name,
        type: TYPE,
        properties: {
          roleDefinitionId,
          principalId,
          principalType: p.principalType ?? 'User',
          scope,
          description: p.description,
          createdOn: new Date().toISOString(),
        },
      };
      store.put(resource);
      return { status: 201, body: resourceBody(resource) };
    }
    default:
      throw new ArmError(405, 'MethodNotAllowed', `${req.method} is not supported on role assignments.`);
  }
}
