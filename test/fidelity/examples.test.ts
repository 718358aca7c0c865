// Microsoft's own example requests (the x-ms-examples kept in test/specs/) replayed against the local Azure: ids
// rewritten to local ones, prerequisites made first, long-running operations followed; the resource that results
// must hold every property of the documented response with the same JSON type, and the request's values.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from '@azure/core-rest-pipeline';
import { computeClient } from '../../shared/azure/clients';
import { localContext } from '../harness/connections';
import { startLocalAzure, type LocalAzure } from '../local-azure/index';
import { SPECS_DIR } from './specValidator';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Example {
  file: string;
  operationId: string;
  parameters: Record<string, Json>;
  responses: Record<string, { body?: Json }>;
}
interface Operation {
  template: string;
  method: string;
  bodyParameter?: string;
}

function findFiles(dir: string, match: (f: string) => boolean): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? findFiles(full, match) : match(full) ? [full] : [];
  });
}

/** The operations the kept spec subsets hold: exactly the ones the tasks call. */
function operationsOf(specFile: string): Map<string, Operation> {
  type Parameter = { in?: string; name?: string; $ref?: string };
  const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string; parameters?: Parameter[] }>>;
    parameters?: Record<string, Parameter>;
  };
  // A parameter may be a reference into the file's own parameters section.
  const resolve = (p: Parameter) =>
    p.$ref?.startsWith('#/parameters/') ? (spec.parameters?.[p.$ref.slice('#/parameters/'.length)] ?? p) : p;
  const ops = new Map<string, Operation>();
  for (const [template, methods] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(methods)) {
      if (!op.operationId) continue;
      const body = op.parameters?.map(resolve).find((p) => p.in === 'body')?.name;
      ops.set(op.operationId, { template, method: method.toUpperCase(), bodyParameter: body });
    }
  return ops;
}

const ARM_ID =
  /\/?subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/([A-Za-z.]+)\/([A-Za-z]+)\/([^/"]+)(\/[^"]*)?/gi;
/** The built-in Reader role: the examples' role definitions become it (the local Azure knows built-in roles only). */
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const clean = (name: string) => name.replace(/[{}]/g, '');

/** The JSON type Azure documents for a value: arrays and null apart from objects. */
const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const sameValue = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string'
    ? a.toLowerCase().replace(/\s/g, '') === b.toLowerCase().replace(/\s/g, '')
    : JSON.stringify(a) === JSON.stringify(b);

/** Every documented property present with the same JSON type; where the request set a value, that value. */
function compare(documented: unknown, actual: unknown, requested: unknown, at: string, gaps: string[]): void {
  // A list has nextLink only when more pages follow.
  if (documented === undefined || /(^|\.)nextLink$/.test(at)) return;
  if (actual === undefined) {
    gaps.push(`missing ${at || '(body)'}`);
    return;
  }
  if (typeOf(documented) !== typeOf(actual)) {
    gaps.push(`${at}: ${typeOf(actual)} where Azure documents ${typeOf(documented)}`);
    return;
  }
  if (Array.isArray(documented) && Array.isArray(actual)) {
    documented.forEach((d, i) =>
      compare(d, actual[i], Array.isArray(requested) ? requested[i] : undefined, `${at}[${i}]`, gaps),
    );
    return;
  }
  if (documented && typeof documented === 'object') {
    for (const [k, d] of Object.entries(documented)) {
      const req =
        requested && typeof requested === 'object' ? (requested as Record<string, unknown>)[k] : undefined;
      compare(d, (actual as Record<string, unknown>)[k], req, at ? `${at}.${k}` : k, gaps);
    }
    return;
  }
  if (requested !== undefined && typeOf(requested) !== 'object' && !sameValue(requested, actual))
    gaps.push(`${at}: ${JSON.stringify(actual)} where the request set ${JSON.stringify(requested)}`);
}

function frameOf(documented: Json): Json {
  if (Array.isArray(documented)) return documented.slice(0, 1).map(frameOf);
  if (!documented || typeof documented !== 'object') return documented;
  const frame: Record<string, Json> = {};
  for (const key of ['id', 'name', 'type', 'location', 'accessSAS', 'operationType'])
    if (key in documented) frame[key] = documented[key];
  if ('value' in documented) frame.value = frameOf(documented.value);
  const props = documented.properties;
  if (props && typeof props === 'object' && !Array.isArray(props) && 'provisioningState' in props)
    frame.properties = { provisioningState: props.provisioningState };
  return frame;
}

/** An operation's path with the example's (local) parameters; a scope is a path of its own, not one segment. */
function pathOf(op: Operation, params: Record<string, string>): string {
  return op.template.replace(/\{([^}]+)\}/g, (_m, p: string) =>
    p === 'scope' ? params.scope : encodeURIComponent(params[p] ?? p),
  );
}

/** The frame of a documented resource plus the documented values at every path the update request set. */
function updatedPart(documented: Json, request: Json | undefined): Json {
  const pick = (doc: Json, req: Json | undefined): Json | undefined => {
    if (req === undefined || doc === undefined) return undefined;
    if (
      !req ||
      typeof req !== 'object' ||
      Array.isArray(req) ||
      !doc ||
      typeof doc !== 'object' ||
      Array.isArray(doc)
    )
      return doc;
    const out: Record<string, Json> = {};
    for (const k of Object.keys(req)) {
      const v = pick(doc[k], req[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  };
  const frame = frameOf(documented) as Record<string, Json>;
  const part = (pick(documented, request) ?? {}) as Record<string, Json>;
  const props = {
    ...((frame.properties as Record<string, Json>) ?? {}),
    ...((part.properties as Record<string, Json>) ?? {}),
  };
  return { ...frame, ...part, properties: props };
}

describe('Microsoft’s examples replayed against the local Azure', function () {
  this.timeout(300_000);
  let azure: LocalAzure;
  const specFiles = findFiles(SPECS_DIR, (f) => /\/stable\/[^/]+\/[^/]+\.json$/.test(f));
  const examples: Example[] = findFiles(
    SPECS_DIR,
    (f) => f.includes('/examples/') && f.endsWith('.json'),
  ).map((file) => ({ file, ...(JSON.parse(fs.readFileSync(file, 'utf8')) as Omit<Example, 'file'>) }));
  const operations = new Map<string, Operation>();
  for (const f of specFiles) for (const [id, op] of operationsOf(f)) operations.set(id, op);
  // Compute examples name their operation; the others are named by their file (the spec's x-ms-examples map is
  // not kept): the longest operation id the file name starts with.
  const EXAMPLE_OPERATIONS: Record<string, string> = {
    GetRoleDefinitionById: 'RoleDefinitions_Get',
    ListAvailableResourceSkus: 'ResourceSkus_List',
    ListAvailableResourceSkusForARegion: 'ResourceSkus_List',
    ListAvailableResourceSkusWithExtendedLocations: 'ResourceSkus_List',
    IdentityCreate: 'UserAssignedIdentities_CreateOrUpdate',
    IdentityDelete: 'UserAssignedIdentities_Delete',
    GetImageTemplate: 'VirtualMachineImageTemplates_Get',
    DeleteImageTemplate: 'VirtualMachineImageTemplates_Delete',
    CancelImageBuild: 'VirtualMachineImageTemplates_Cancel',
    GetRunOutput: 'VirtualMachineImageTemplates_GetRunOutput',
  };
  for (const e of examples) {
    const base = path.basename(e.file, '.json');
    e.operationId ??=
      EXAMPLE_OPERATIONS[base] ??
      [...operations.keys()].filter((id) => base.startsWith(id)).sort((a, b) => b.length - a.length)[0] ??
      `(no operation for ${base})`;
  }

  before(async () => {
    azure = await startLocalAzure();
  });
  // Each example gets a resource group of its own: the examples reuse names (myDisk, myGalleryName).
  let RG = '';
  after(() => azure?.stop());

  async function send(method: string, url: string, body?: unknown) {
    const ctx = localContext(azure);
    const pipeline = createPipelineFromOptions({ tlsOptions: { ca: azure.caCertPem } });
    pipeline.addPolicy(
      bearerTokenAuthenticationPolicy({ credential: ctx.credential, scopes: `${azure.audience}.default` }),
    );
    const request = createPipelineRequest({
      url: url.startsWith('http') ? url : `${azure.armUrl}${url}`,
      method: method as 'GET',
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const response = await pipeline.sendRequest(createDefaultHttpClient(), request);
    const text = response.bodyAsText ?? '';
    return {
      status: response.status,
      headers: response.headers.toJSON(),
      body: text ? (JSON.parse(text) as Json) : undefined,
    };
  }

  /** Sends and follows a long-running operation to its end, as a client would; an action ends with its result. */
  async function sendAndWait(method: string, url: string, body?: unknown) {
    const first = await send(method, url, body);
    const result = await waitFor(first);
    const location = first.headers['location'];
    if (method === 'POST' && first.status === 202 && location) {
      const final = await send('GET', location);
      return { ...first, body: final.body };
    }
    return result;
  }

  async function waitFor(first: Awaited<ReturnType<typeof send>>) {
    const poll = first.headers['azure-asyncoperation'] ?? first.headers['location'];
    if ((first.status === 201 || first.status === 202) && poll) {
      for (let i = 0; i < 200; i++) {
        const state = await send('GET', poll);
        const status = (state.body as { status?: string } | undefined)?.status;
        if (state.status === 200 && (status === undefined || /Succeeded|Failed|Canceled/.test(status))) break;
        if (state.status >= 400 || state.status === 204) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return first;
  }

  // Prerequisites, made through the real API: small Linux V1 disks and snapshots, images, galleries, definitions.
  const lro = { updateIntervalInMs: 10 };
  async function disk(name: string): Promise<string> {
    const client = computeClient(localContext(azure));
    const existing = await client.disks.get(RG, name).catch(() => undefined);
    if (existing) return existing.id!;
    await client.disks.createOrUpdate(
      RG,
      name,
      {
        location: 'westus',
        osType: 'Linux',
        hyperVGeneration: 'V1',
        creationData: { createOption: 'Upload', uploadSizeBytes: 20 * 1024 * 1024 + 512 },
      },
      lro,
    );
    await client.disks.grantAccess(RG, name, { access: 'Write', durationInSeconds: 600 }, lro);
    await client.disks.revokeAccess(RG, name, lro);
    return (await client.disks.get(RG, name)).id!;
  }
  async function snapshot(name: string): Promise<string> {
    const client = computeClient(localContext(azure));
    const existing = await client.snapshots.get(RG, name).catch(() => undefined);
    if (existing) return existing.id!;
    const source = await disk(`${name}-source`);
    return (
      await client.snapshots.createOrUpdate(
        RG,
        name,
        { location: 'westus', creationData: { createOption: 'Copy', sourceResourceId: source } },
        lro,
      )
    ).id!;
  }
  async function image(name: string): Promise<string> {
    const client = computeClient(localContext(azure));
    const existing = await client.images.get(RG, name).catch(() => undefined);
    if (existing) return existing.id!;
    const snap = await snapshot(`${name}-snapshot`);
    return (
      await client.images.createOrUpdate(
        RG,
        name,
        {
          location: 'westus',
          storageProfile: { osDisk: { osType: 'Linux', osState: 'Generalized', snapshot: { id: snap } } },
        },
        lro,
      )
    ).id!;
  }
  const NETWORK = '2026-01-01';
  const networkPath = (type: string, name: string) =>
    `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Network/${type}/${name}`;
  async function virtualNetwork(name: string, subnet?: string, location = 'westus'): Promise<void> {
    const existing = await send('GET', `${networkPath('virtualNetworks', name)}?api-version=${NETWORK}`);
    const subnets = (
      (existing.body as { properties?: { subnets?: { name: string }[] } } | undefined)?.properties?.subnets ??
      []
    ).map((s) => s.name);
    if (existing.status === 200 && (!subnet || subnets.includes(subnet))) return;
    const all = [...new Set([...subnets, ...(subnet ? [subnet] : [])])];
    await send('PUT', `${networkPath('virtualNetworks', name)}?api-version=${NETWORK}`, {
      location,
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: all.map((n, k) => ({ name: n, properties: { addressPrefix: `10.0.${k}.0/24` } })),
      },
    }).then(waitFor);
  }
  async function networkSecurityGroup(name: string): Promise<void> {
    await send('PUT', `${networkPath('networkSecurityGroups', name)}?api-version=${NETWORK}`, {
      location: 'westus',
    }).then(waitFor);
  }
  async function networkInterface(name: string): Promise<void> {
    await virtualNetwork(`${name}-vnet`, 'default');
    await send('PUT', `${networkPath('networkInterfaces', name)}?api-version=${NETWORK}`, {
      location: 'westus',
      properties: {
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: {
              subnet: { id: `${networkPath('virtualNetworks', `${name}-vnet`)}/subnets/default` },
            },
          },
        ],
      },
    }).then(waitFor);
  }
  async function identity(name: string): Promise<string> {
    const id = `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
    await send('PUT', `${id}?api-version=2024-11-30`, { location: 'westus' });
    return id;
  }
  /** An image template the read, delete and run-output examples work on (from a managed image, to one). */
  async function imageTemplate(name: string): Promise<string> {
    const id = `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
    await send('PUT', `${id}?api-version=2025-10-01`, {
      location: 'westus',
      identity: {
        type: 'UserAssigned',
        userAssignedIdentities: { [await identity(`${name}-identity`)]: {} },
      },
      properties: {
        source: { type: 'ManagedImage', imageId: await image(`${name}-source`) },
        customize: [{ type: 'Shell', name: 'hello', inline: ['echo hello'] }],
        distribute: [
          {
            type: 'ManagedImage',
            runOutputName: 'image_it_pir_1',
            imageId: `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/${name}-out`,
            location: 'westus',
          },
        ],
      },
    }).then(waitFor);
    return id;
  }
  async function galleryAndDefinition(gallery: string, definition?: string): Promise<void> {
    const client = computeClient(localContext(azure));
    await client.galleries.createOrUpdate(RG, gallery, { location: 'westus' }, lro);
    if (definition)
      await client.galleryImages.createOrUpdate(
        RG,
        gallery,
        definition,
        {
          location: 'westus',
          osType: 'Linux',
          osState: 'Generalized',
          hyperVGeneration: 'V1',
          identifier: { publisher: 'examples', offer: 'replay', sku: definition },
        },
        lro,
      );
  }

  /** Why the local Azure cannot serve an example (what it needs that is not modelled here), if it cannot. */
  function notServedBecause(example: Example, text: string): string | undefined {
    for (const [type, why] of Object.entries(NOT_MODELLED))
      if (new RegExp(`providers/[^/]+/${type}/`, 'i').test(text)) return why;
    if (/"createOption":"Import"/.test(text))
      return "it imports a blob of a storage account of its own (ConvertDisk's import is tested against Azurite)";
    if (/secure|uefi|SoftDelet/i.test(path.basename(example.file)))
      return 'confidential-VM upload, UEFI key signing and soft delete are not modelled';
    if (
      example.operationId.startsWith('VirtualMachines_') ||
      example.operationId.startsWith('VirtualMachineRunCommands_')
    )
      return 'its VM comes from a marketplace image or carries extensions, and the local Azure boots VMs only from managed images and gallery versions (VM and Run Command traffic of the tests is checked by oav)';
    if (
      /^(VirtualNetworks|Subnets|NetworkInterfaces|NetworkSecurityGroups)_/.test(example.operationId) &&
      /"delegations":\[\{|"serviceEndpoints":\[\{|serviceGateway|ipamPool|bgpCommunities|"addressPrefixes":\["[^"]*","|"serviceAssociationLinks":\[\{|"subnet":\{"properties"/i.test(
        JSON.stringify(example),
      )
    )
      return 'subnet delegations, service endpoints and gateways, IPAM pools, BGP communities and multi-prefix subnets are not modelled';
    if (example.operationId.startsWith('StorageAccounts_'))
      return "storage accounts are the Azurite accounts the local Azure starts with; the example's own account cannot be made here (StorageAccounts_List and _ListKeys traffic is checked by oav)";
    if (/^VirtualMachineImageTemplates_(Run|Cancel)$/.test(example.operationId))
      return "a run boots its source image in QEMU and needs a bootable image: runs and cancels are exercised on real images by BuildImage's tests, whose traffic oav checks";
    if (example.operationId.startsWith('ResourceSkus_'))
      return "the local Azure lists its own catalogue of VM sizes, not the example's (its answers are checked by oav)";
    if (/"endpointUrl":"https?:\/\/(?!127\.0\.0\.1)/.test(text))
      return "its webhook is on the internet: Event Grid's validation handshake cannot reach it from here";
    if (/"topicType":"Microsoft\.(?!Resources\.)/.test(text))
      return 'system topics of sources other than subscriptions and resource groups are not modelled';
    if (/"kind":"AzureArc"|extendedLocation/.test(text))
      return 'Azure Arc topics (kind AzureArc, extendedLocation) are not modelled';
    if (/"scope":"[^"]*providers\//i.test(text))
      return 'its scope is a resource of a provider the local Azure does not model';
    return undefined;
  }

  /** What the local Azure does not model, by the resource types an example needs. */
  const NOT_MODELLED: Record<string, string> = {
    diskencryptionset: 'disk encryption sets are not modelled',
    diskencryptionsets: 'disk encryption sets are not modelled',
    storageaccounts: 'storage accounts are Azurite accounts; the example names one of its own',
    publicipaddresses: 'public IP addresses are not modelled (a smoke-test VM never gets one)',
  };

  const results: { file: string; outcome: string }[] = [];
  after(() => {
    console.log('      examples replayed:');
    for (const r of results) console.log(`        ${r.outcome.padEnd(12)} ${r.file}`);
  });

  for (const example of examples) {
    const name = path.basename(example.file, '.json');
    it(`${example.operationId}: ${name}`, async function () {
      RG = azure.resourceGroup(`rg-ex-${name}`.slice(0, 90), 'westus').split('/').pop()!;
      const op = operations.get(example.operationId);
      assert.ok(op, `${example.operationId} is not in the kept specs`);
      const text = JSON.stringify(example.parameters);
      const why = notServedBecause(example, text);
      if (why) {
        results.push({ file: name, outcome: 'not served' });
        console.log(`        cannot serve ${name}: ${why}`);
        this.skip();
      }
      // Local ids: this subscription, the examples' resource group, names without placeholder braces.
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(example.parameters))
        if (typeof v === 'string') params[k] = clean(v);
      params.subscriptionId = azure.subscriptionId;
      params.resourceGroupName = RG;
      // An extension resource's scope (role assignments, event subscriptions) becomes the example's group; a role
      // definition is read at the subscription; the example's roles become a built-in role the local Azure knows.
      if ('scope' in params) params.scope = `subscriptions/${azure.subscriptionId}/resourceGroups/${RG}`;
      if (example.operationId === 'RoleDefinitions_Get') {
        params.scope = `subscriptions/${azure.subscriptionId}`;
        params.roleDefinitionId = READER;
      }
      const references: [string, string, string][] = [];
      const rewrite = (value: Json): Json =>
        JSON.parse(
          JSON.stringify(value).replace(
            ARM_ID,
            (_m, provider: string, type: string, rname: string, rest = '') => {
              references.push([type.toLowerCase(), clean(rname), clean(rest)]);
              return `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/${provider}/${type}/${clean(rname)}${clean(rest)}`;
            },
          ),
        ) as Json;
      const roleRewritten = op.bodyParameter
        ? (JSON.parse(
            JSON.stringify(example.parameters[op.bodyParameter]).replace(
              /\/subscriptions\/[^/"]+\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]+/gi,
              `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
            ),
          ) as Json)
        : undefined;
      const body = roleRewritten === undefined ? undefined : rewrite(roleRewritten);
      const creates = /_CreateOrUpdate$/.test(example.operationId);
      // Prerequisites: what the request references, the parents of the resource, and the resource itself when
      // the operation reads, changes or deletes it.
      for (const [type, rname, rest] of references) {
        if (type === 'snapshots') await snapshot(rname);
        else if (type === 'disks') await disk(rname);
        else if (type === 'images') await image(rname);
        else if (type === 'virtualnetworks')
          await virtualNetwork(rname, /\/subnets\/([^/]+)/.exec(rest)?.[1]);
        else if (type === 'networksecuritygroups') await networkSecurityGroup(rname);
        else if (type === 'userassignedidentities') await identity(rname);
        else if (type === 'galleries')
          await galleryAndDefinition(rname, /^\/images\/([^/]+)/.exec(rest)?.[1]);
      }
      if (params.imageTemplateName && !creates) {
        const template = await imageTemplate(params.imageTemplateName);
        // A run's outputs are made by a build (BuildImage's tests run real ones); here one is placed as a fixture.
        if (params.runOutputName || example.operationId.endsWith('_ListRunOutputs'))
          azure.arm.store.put({
            id: `${template}/runOutputs/${params.runOutputName ?? 'image_it_pir_1'}`,
            name: params.runOutputName ?? 'image_it_pir_1',
            type: 'Microsoft.VirtualMachineImages/imageTemplates/runOutputs',
            properties: {
              artifactId: `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Compute/images/image_it_1`,
              provisioningState: 'Succeeded',
            },
          });
      }
      if (params.resourceName && example.operationId.startsWith('UserAssignedIdentities_') && !creates)
        await identity(params.resourceName);
      // Microsoft.Network: a subnet's network, and the resource a read, update or delete works on.
      if (params.virtualNetworkName && (params.subnetName || !creates))
        await virtualNetwork(params.virtualNetworkName, creates ? undefined : params.subnetName);
      if (params.networkSecurityGroupName && !creates)
        await networkSecurityGroup(params.networkSecurityGroupName);
      if (params.networkInterfaceName && !creates) await networkInterface(params.networkInterfaceName);
      if (params.galleryName)
        await galleryAndDefinition(
          params.galleryName,
          op.template.includes('{galleryImageVersionName}') ? params.galleryImageName : undefined,
        );
      // A list needs something to list; an update of a definition needs the definition the example describes.
      if (example.operationId === 'Galleries_ListByResourceGroup')
        await galleryAndDefinition('listed_gallery');
      if (example.operationId === 'Images_ListByResourceGroup') await image('listed-image');
      if (example.operationId === 'GalleryImages_Update')
        await send('PUT', `${pathOf(op, params)}?api-version=${params['api-version']}`, {
          ...(body as object),
          location: 'westus',
        }).then(waitFor);
      // Prerequisites of the other providers' reads, lists and deletes, made through the API.
      const group = `/subscriptions/${azure.subscriptionId}/resourceGroups/${RG}`;
      const put = (resourcePath: string, payload: unknown, apiVersion: string) =>
        send('PUT', `${resourcePath}?api-version=${apiVersion}`, payload).then(waitFor);
      if (/^RoleAssignments_(Get|Delete|ListForScope)$/.test(example.operationId))
        await put(
          `/${params.scope}/providers/Microsoft.Authorization/roleAssignments/${params.roleAssignmentName ?? randomUUID()}`,
          {
            properties: {
              roleDefinitionId: `/subscriptions/${azure.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER}`,
              principalId: randomUUID(),
            },
          },
          '2022-04-01',
        );
      const eg = `${group}/providers/Microsoft.EventGrid`;
      if (example.operationId === 'Topics_Get')
        await put(`${eg}/topics/${params.topicName}`, { location: 'westus' }, '2022-06-15');
      if (
        /^SystemTopic/.test(example.operationId) &&
        !/^SystemTopics_CreateOrUpdate$/.test(example.operationId)
      )
        await put(
          `${eg}/systemTopics/${params.systemTopicName}`,
          {
            location: 'global',
            properties: { source: group, topicType: 'Microsoft.Resources.ResourceGroups' },
          },
          '2022-06-15',
        );
      if (example.operationId === 'SystemTopicEventSubscriptions_Get')
        await put(
          `${eg}/systemTopics/${params.systemTopicName}/eventSubscriptions/${params.eventSubscriptionName}`,
          {
            properties: {
              destination: {
                endpointType: 'StorageQueue',
                properties: {
                  resourceId: azure.storageAccountId(azure.blob!.accounts[0].name),
                  queueName: 'examples',
                },
              },
            },
          },
          '2022-06-15',
        );
      if (!creates) {
        if (params.diskName) await disk(params.diskName);
        if (params.snapshotName) await snapshot(params.snapshotName);
        if (params.imageName) await image(params.imageName);
        if (params.galleryImageVersionName)
          await computeClient(localContext(azure)).galleryImageVersions.createOrUpdate(
            RG,
            params.galleryName,
            params.galleryImageName,
            params.galleryImageVersionName,
            {
              location: 'westus',
              storageProfile: { source: { id: await image(`${params.galleryImageVersionName}-source`) } },
            },
            lro,
          );
        else if (
          params.galleryImageName &&
          op.template.endsWith('{galleryImageName}') &&
          example.operationId !== 'GalleryImages_Update'
        )
          await galleryAndDefinition(params.galleryName, params.galleryImageName);
      }
      const url = `${pathOf(op, params)}?api-version=${params['api-version']}${params.$expand ? `&$expand=${params.$expand}` : ''}`;
      const answer = await sendAndWait(op.method, url, body);
      const documentedCodes = Object.keys(example.responses);
      assert.ok(
        documentedCodes.includes(String(answer.status)),
        `${op.method} answered ${answer.status} (${JSON.stringify(answer.body)}); the example documents ${documentedCodes.join(', ')}`,
      );
      const documented = ['200', '201', '202']
        .map((c) => example.responses[c]?.body)
        .find((b) => b !== undefined);
      const gaps: string[] = [];
      if (documented !== undefined) {
        const writes = op.method === 'PUT' || op.method === 'PATCH';
        const final = writes
          ? (await send('GET', url.replace(/\?.*$/, `?api-version=${params['api-version']}`))).body
          : answer.body;
        // A write must come back with everything Microsoft documents for it. A read documents one particular
        // resource (made with settings the example does not show), so only its frame is compared: the id,
        // name, type, location and provisioning state every such resource has, and the result of an action.
        // An update documents the resource it changed, made in ways the example does not show: its frame and
        // what the update set are compared.
        const expected =
          op.method === 'PUT'
            ? // Ids the example names (also as keys: a template's identities) are the local ones, as in the request.
              rewrite(documented)
            : op.method === 'PATCH'
              ? updatedPart(documented, body)
              : frameOf(documented);
        compare(expected, final, body, '', gaps);
      }
      results.push({ file: name, outcome: gaps.length ? 'gaps' : 'as documented' });
      assert.deepEqual(gaps, [], `${name} does not come back as Microsoft documents it`);
    });
  }
});
