// One adapter per mode: read that mode's inputs into one checked request, make one library call, write outputs
// and the summary. Every agent fact comes through the run context.
import {
  ARCHITECTURES,
  GENERATIONS,
  OS_STATES,
  OS_TYPES,
  SECURITY_TYPES,
} from '../../shared/gallery/definition/spec';
import {
  galleryDefinitionRequest,
  reconcileGalleryAndDefinition,
  type GalleryDefinitionOptions,
} from '../../shared/gallery/definition/galleryAndDefinition';
import { setLatestEligibility } from '../../shared/gallery/lifecycle/promotion';
import { resolveLatestVersion } from '../../shared/gallery/lifecycle/resolveLatest';
import { applyRetentionPolicy, retentionRequest } from '../../shared/gallery/lifecycle/retention';
import { parsePrincipals, shareGallery, sharingRequest } from '../../shared/gallery/sharing/shareGallery';
import { publishRequest, publishVersion, type VersionChoice } from '../../shared/gallery/version/publish';
import { definitionRef, resolveRegion, versionRef } from '../../shared/gallery/version/ref';
import { waitForReplication } from '../../shared/gallery/version/replication';
import { parseTargetRegions, VERSION_STORAGE_TYPES } from '../../shared/gallery/version/targetRegions';
import { normalizeRegion } from '../../shared/azure/regions';
import {
  readBoolean,
  readDate,
  readDuration,
  readEnum,
  readInt,
  readKeyValues,
  readLines,
  readList,
  readRegion,
  readSecret,
  readString,
} from '../../shared/pipeline/inputs';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import {
  galleryDefinitionSummary,
  promotionSummary,
  publishSummary,
  replicationTable,
  resolveSummary,
  retentionSummary,
  sharingSummary,
  waitSummary,
} from './summary';

export const MODES = [
  'ensureDefinition',
  'publish',
  'wait',
  'resolve',
  'promote',
  'demote',
  'retain',
  'share',
] as const;
export type Mode = (typeof MODES)[number];

function readDefinitionOptions(): GalleryDefinitionOptions {
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

const readDefinitionNames = () => ({
  resourceGroup: readString('resourceGroupName', { required: true }),
  gallery: readString('galleryName', { required: true }),
  image: readString('imageDefinition', { required: true }),
});
const readVersionRef = () =>
  versionRef({ ...readDefinitionNames(), version: readString('version', { required: true }) });
const readRegions = () => readList('regions').map((r) => normalizeRegion('regions', r));
const readWaitTimeout = () =>
  readDuration('waitTimeout', { defaultSeconds: 2 * 3600, maxSeconds: 7 * 24 * 3600 }) * 1000;

function setVersionOutputs(run: TaskRunContext, id: string, version: string, regions: string[]): void {
  run.output('imageVersionId', id);
  run.output('imageVersion', version);
  run.output('imageVersionRegions', regions.join(','));
}

async function ensureDefinition(run: TaskRunContext): Promise<void> {
  const request = galleryDefinitionRequest(readDefinitionOptions());
  const result = await reconcileGalleryAndDefinition(await run.connect(), request);
  run.output('galleryId', result.gallery.id);
  run.output('imageDefinitionId', result.definition.id);
  run.output('imageDefinitionAction', result.definition.action);
  run.summary(galleryDefinitionSummary(request, result));
}

function readVersionChoice(run: TaskRunContext): VersionChoice {
  const strategy = readEnum(
    'versionStrategy',
    ['explicit', 'nextPatch', 'buildNumber'] as const,
    'nextPatch',
  );
  if (strategy === 'explicit') return { strategy, version: readString('version', { required: true }) };
  if (strategy === 'buildNumber') return { strategy, buildNumber: run.buildNumber };
  return { strategy, majorMinor: readString('versionMajorMinor') };
}

async function publish(run: TaskRunContext): Promise<void> {
  const waitForIt = readBoolean('waitForReplication', false);
  const progress = run.progress('Replicating', 0);
  const request = publishRequest({
    definition: readDefinitionOptions(),
    // A VHD source may be a blob URL with a SAS: read without task-lib's debug echo, its query masked.
    source: readSecret('source', { mask: 'query' }) ?? '',
    sourceStorageAccountId: readString('sourceStorageAccountId'),
    version: readVersionChoice(run),
    targetRegions: parseTargetRegions('targetRegions', readLines('targetRegions')),
    replicaCount: readInt('replicaCount', { min: 1, max: 100, default: 1 }),
    storageAccountType: readEnum('storageAccountType', VERSION_STORAGE_TYPES, 'Standard_LRS'),
    excludeFromLatest: readBoolean('excludeFromLatest', false),
    endOfLifeDate: readDate('versionEndOfLifeDate'),
    replicationMode: readEnum('replicationMode', ['Full', 'Shallow'] as const, 'Full'),
    blockDeletionBeforeEndOfLife: readBoolean('blockDeletionBeforeEndOfLife', false),
    overwrite: readBoolean('overwrite', false),
    wait: waitForIt
      ? { regions: readRegions(), timeoutMs: readWaitTimeout(), onProgress: (p: number) => progress(p) }
      : undefined,
  });
  const result = await publishVersion(await run.connect(), request);
  console.log(replicationTable(result.regions));
  run.output('galleryId', result.definition.gallery.id);
  run.output('imageDefinitionId', result.definition.definition.id);
  run.output('imageDefinitionAction', result.definition.definition.action);
  run.output('imageVersionAction', result.action);
  setVersionOutputs(
    run,
    result.versionId,
    result.version,
    result.regions.map((r) => r.region),
  );
  run.summary(publishSummary(request.definition.gallery, request.definition.imageDefinition, result));
}

async function wait(run: TaskRunContext): Promise<void> {
  const ref = readVersionRef();
  const options = { regions: readRegions(), timeoutMs: readWaitTimeout() };
  const progress = run.progress(`Replicating version ${ref.version}`, 0);
  const state = await waitForReplication(await run.connect(), ref, {
    ...options,
    onProgress: (p) => progress(p),
  });
  console.log(replicationTable(state.regions));
  setVersionOutputs(
    run,
    state.version.id!,
    ref.version,
    state.regions.map((r) => r.region),
  );
  run.summary(waitSummary(ref.version, state));
}

async function resolve(run: TaskRunContext): Promise<void> {
  const ref = definitionRef(readDefinitionNames());
  const region = resolveRegion(readRegions());
  const skipEndOfLife = readBoolean('skipEndOfLife', true);
  const resolved = await resolveLatestVersion(await run.connect(), ref, { region, skipEndOfLife });
  run.summary(resolveSummary(ref.image, region, resolved));
  for (const s of resolved?.skipped ?? []) console.log(`Passed over ${s.version}: ${s.why}`);
  if (!resolved)
    throw new Error(`no version of '${ref.image}' qualifies as latest${region ? ` in ${region}` : ''}`);
  console.log(`Latest: ${resolved.version} (${resolved.id})`);
  setVersionOutputs(run, resolved.id, resolved.version, region ? [region] : []);
}

async function promotion(run: TaskRunContext, promote: boolean): Promise<void> {
  const ref = readVersionRef();
  const regions = readRegions();
  const result = await setLatestEligibility(await run.connect(), ref, { promote, regions });
  console.log(
    result.changed.length
      ? `${promote ? 'Promoted' : 'Demoted'} ${ref.version} in ${result.changed.join(', ')}`
      : `Version ${ref.version} was already ${promote ? 'in' : 'out of'} latest`,
  );
  setVersionOutputs(
    run,
    result.versionId,
    ref.version,
    result.regions.map((r) => r.region),
  );
  run.summary(promotionSummary(ref.version, promote, result));
}

async function retain(run: TaskRunContext): Promise<void> {
  const endOfLifeAfter = readString('endOfLifeAfter');
  const request = retentionRequest({
    definition: definitionRef(readDefinitionNames()),
    policy: {
      keep: readInt('keepVersions', { min: 1, max: 10_000, default: 5 }),
      shrinkOlder: readBoolean('shrinkOlder', true),
      endOfLifeAfterSeconds: endOfLifeAfter === undefined ? undefined : readDuration('endOfLifeAfter'),
      deletePastEndOfLife: readBoolean('deletePastEndOfLife', true),
    },
    dryRun: readBoolean('dryRun', true),
  });
  const progress = run.progress('Applying retention', 0);
  const outcomes = await applyRetentionPolicy(await run.connect(), request, { onProgress: progress });
  for (const o of outcomes)
    console.log(`${o.version}: ${o.action} ${o.result}${o.detail ? ` (${o.detail})` : ''}`);
  run.output(
    'retentionDeleted',
    outcomes
      .filter((o) => o.action === 'delete' && o.result === 'done')
      .map((o) => o.version)
      .join(','),
  );
  run.summary(retentionSummary(request.definition.image, request.dryRun, outcomes));
  const troubled = outcomes.filter((o) => o.result === 'protected' || o.result === 'failed');
  if (troubled.length)
    run.issue(
      `${troubled.length} version(s) could not be changed: ${troubled.map((o) => `${o.version} ${o.result}`).join(', ')}`,
    );
}

async function share(run: TaskRunContext): Promise<void> {
  const prefix = readString('communityPublicNamePrefix');
  const request = sharingRequest({
    resourceGroup: readString('resourceGroupName', { required: true }),
    gallery: readString('galleryName', { required: true }),
    principals: parsePrincipals('principals', readLines('principals')),
    role: readString('roleDefinition') ?? 'Reader',
    subscriptions: readList('shareWithSubscriptions'),
    tenants: readList('shareWithTenants'),
    community: prefix
      ? {
          publicNamePrefix: prefix,
          publisherUri: readString('communityPublisherUri') ?? '',
          publisherContact: readString('communityPublisherContact') ?? '',
          eula: readString('communityEula') ?? '',
        }
      : undefined,
  });
  const result = await shareGallery(await run.connect(), request);
  for (const g of result.grants) console.log(`${g.role} for ${g.type} ${g.principal}: ${g.action}`);
  run.output('galleryId', result.galleryId);
  run.summary(sharingSummary(result));
}

export const MODE_ADAPTERS: Record<Mode, (run: TaskRunContext) => Promise<void>> = {
  ensureDefinition,
  publish,
  wait,
  resolve,
  promote: (run) => promotion(run, true),
  demote: (run) => promotion(run, false),
  retain,
  share,
};
