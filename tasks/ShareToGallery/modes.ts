// One adapter per mode: read that mode's inputs, call shared/gallery, set outputs and the summary.
import * as tl from 'azure-pipelines-task-lib/task';
import type { AzureContext } from '../../shared/azure/context';
import {
  ARCHITECTURES,
  GENERATIONS,
  OS_STATES,
  OS_TYPES,
  SECURITY_TYPES,
} from '../../shared/gallery/definitionSpec';
import { galleryLocation } from '../../shared/gallery/galleryLocation';
import { listVersionsNewestFirst } from '../../shared/gallery/listVersions';
import { setLatestEligibility } from '../../shared/gallery/promotion';
import {
  publishVersion,
  validatePublishOptions,
  type VersionChoice,
} from '../../shared/gallery/publishVersion';
import { replicationTable, waitForReplication } from '../../shared/gallery/replication';
import { resolveLatestVersion } from '../../shared/gallery/resolveLatest';
import { applyRetention, planRetention, validateRetentionPolicy } from '../../shared/gallery/retention';
import {
  galleryDefinitionSummary,
  reconcileGalleryAndDefinition,
  validateGalleryDefinitionOptions,
  type GalleryDefinitionOptions,
} from '../../shared/gallery/shareToGallery';
import { parsePrincipals, shareGallery, validateSharingOptions } from '../../shared/gallery/sharing';
import { parseTargetRegions, VERSION_STORAGE_TYPES } from '../../shared/gallery/targetRegions';
import { formatVersion, parseVersion } from '../../shared/gallery/versionNumber';
import {
  promotionSummary,
  publishSummary,
  resolveSummary,
  retentionSummary,
  sharingSummary,
  waitSummary,
} from '../../shared/gallery/versionSummary';
import { validateGalleryName, validateImageDefinitionName } from '../../shared/gallery/names';
import { InputError } from '../../shared/validation/inputError';
import { normalizeRegion } from '../../shared/validation/regions';
import { createAzureContext } from '../../shared/pipeline/azureContext';
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
import { setOutput } from '../../shared/pipeline/outputs';
import { createProgressReporter } from '../../shared/pipeline/progress';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { readAzureRmConnection } from '../../shared/pipeline/serviceConnection';
import { uploadSummary } from '../../shared/pipeline/summary';

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

const TASK = 'ShareToGallery';

async function connect(signal: AbortSignal): Promise<AzureContext> {
  return createAzureContext(await readAzureRmConnection(), { task: TASK, signal });
}

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

/** The gallery, definition and version a mode works on, checked before Azure is asked. */
function readDefinitionRef(withVersion: boolean) {
  const ref = {
    resourceGroup: readString('resourceGroupName', { required: true }),
    gallery: readString('galleryName', { required: true }),
    image: readString('imageDefinition', { required: true }),
    version: withVersion
      ? formatVersion(parseVersion('version', readString('version', { required: true })))
      : '',
  };
  validateGalleryName('galleryName', ref.gallery);
  validateImageDefinitionName('imageDefinition', ref.image);
  return ref;
}

const readRegions = () => readList('regions').map((r) => normalizeRegion('regions', r));
const readWaitTimeout = () =>
  readDuration('waitTimeout', { defaultSeconds: 2 * 3600, maxSeconds: 7 * 24 * 3600 }) * 1000;

function setVersionOutputs(id: string, version: string, regions: string[]): void {
  setOutput('imageVersionId', id);
  setOutput('imageVersion', version);
  setOutput('imageVersionRegions', regions.join(','));
}

async function ensureDefinition({ signal }: TaskRunContext): Promise<void> {
  const options = readDefinitionOptions();
  validateGalleryDefinitionOptions(options);
  const result = await reconcileGalleryAndDefinition(await connect(signal), options);
  setOutput('galleryId', result.gallery.id);
  setOutput('imageDefinitionId', result.definition.id);
  setOutput('imageDefinitionAction', result.definition.action);
  uploadSummary(TASK, galleryDefinitionSummary(options, result));
}

function readVersionChoice(): VersionChoice {
  const strategy = readEnum(
    'versionStrategy',
    ['explicit', 'nextPatch', 'buildNumber'] as const,
    'nextPatch',
  );
  if (strategy === 'explicit') return { strategy, version: readString('version', { required: true }) };
  if (strategy === 'buildNumber') return { strategy, buildNumber: tl.getVariable('Build.BuildNumber') };
  return { strategy, majorMinor: readString('versionMajorMinor') };
}

async function publish({ signal }: TaskRunContext): Promise<void> {
  const definition = readDefinitionOptions();
  const waitForIt = readBoolean('waitForReplication', false);
  const progress = createProgressReporter('Replicating', 0);
  const options = {
    definition,
    // A VHD source may be a blob URL with a SAS: read without task-lib's debug echo, its query masked.
    source: readSecret('source', { mask: 'query' }) ?? '',
    sourceStorageAccountId: readString('sourceStorageAccountId'),
    version: readVersionChoice(),
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
  };
  validatePublishOptions(options);
  const result = await publishVersion(await connect(signal), options);
  console.log(replicationTable(result.regions));
  setOutput('galleryId', result.definition.gallery.id);
  setOutput('imageDefinitionId', result.definition.definition.id);
  setOutput('imageDefinitionAction', result.definition.definition.action);
  setOutput('imageVersionAction', result.action);
  setVersionOutputs(
    result.versionId,
    result.version,
    result.regions.map((r) => r.region),
  );
  uploadSummary(TASK, publishSummary(definition.gallery, definition.imageDefinition, result));
}

async function wait({ signal }: TaskRunContext): Promise<void> {
  const ref = readDefinitionRef(true);
  const regions = readRegions();
  const timeoutMs = readWaitTimeout();
  const progress = createProgressReporter(`Replicating version ${ref.version}`, 0);
  const state = await waitForReplication(await connect(signal), ref, {
    regions,
    timeoutMs,
    onProgress: (p) => progress(p),
  });
  console.log(replicationTable(state.regions));
  setVersionOutputs(
    state.version.id!,
    ref.version,
    state.regions.map((r) => r.region),
  );
  uploadSummary(TASK, waitSummary(ref.version, state));
}

async function resolve({ signal }: TaskRunContext): Promise<void> {
  const ref = readDefinitionRef(false);
  const regions = readRegions();
  if (regions.length > 1) throw new InputError('regions', 'resolve looks at one region at a time');
  const skipEndOfLife = readBoolean('skipEndOfLife', true);
  const resolved = await resolveLatestVersion(await connect(signal), ref, {
    region: regions[0],
    skipEndOfLife,
  });
  uploadSummary(TASK, resolveSummary(ref.image, regions[0], resolved));
  for (const s of resolved?.skipped ?? []) console.log(`Passed over ${s.version}: ${s.why}`);
  if (!resolved)
    throw new Error(
      `no version of '${ref.image}' qualifies as latest${regions[0] ? ` in ${regions[0]}` : ''}`,
    );
  console.log(`Latest: ${resolved.version} (${resolved.id})`);
  setVersionOutputs(resolved.id, resolved.version, regions);
}

async function promotion({ signal }: TaskRunContext, promote: boolean): Promise<void> {
  const ref = readDefinitionRef(true);
  const regions = readRegions();
  const result = await setLatestEligibility(await connect(signal), ref, { promote, regions });
  console.log(
    result.changed.length
      ? `${promote ? 'Promoted' : 'Demoted'} ${ref.version} in ${result.changed.join(', ')}`
      : `Version ${ref.version} was already ${promote ? 'in' : 'out of'} latest`,
  );
  setVersionOutputs(
    result.versionId,
    ref.version,
    result.regions.map((r) => r.region),
  );
  uploadSummary(TASK, promotionSummary(ref.version, promote, result));
}

async function retain({ signal, issue }: TaskRunContext): Promise<void> {
  const ref = readDefinitionRef(false);
  const endOfLifeAfter = readString('endOfLifeAfter');
  const policy = {
    keep: readInt('keepVersions', { min: 1, max: 10_000, default: 5 }),
    shrinkOlder: readBoolean('shrinkOlder', true),
    endOfLifeAfterSeconds: endOfLifeAfter === undefined ? undefined : readDuration('endOfLifeAfter'),
    deletePastEndOfLife: readBoolean('deletePastEndOfLife', true),
  };
  const dryRun = readBoolean('dryRun', true);
  validateRetentionPolicy(policy);
  const ctx = await connect(signal);
  const versions = await listVersionsNewestFirst(ctx, ref);
  const region = await galleryLocation(ctx, ref);
  const plan = planRetention(versions, policy, region);
  const progress = createProgressReporter('Applying retention', 0);
  const outcomes = await applyRetention(ctx, ref, plan, region, {
    dryRun,
    onDone: (d, t) => progress((d / t) * 100),
  });
  for (const o of outcomes)
    console.log(`${o.version}: ${o.action} ${o.result}${o.detail ? ` (${o.detail})` : ''}`);
  const troubled = outcomes.filter((o) => o.result === 'protected' || o.result === 'failed');
  setOutput(
    'retentionDeleted',
    outcomes
      .filter((o) => o.action === 'delete' && o.result === 'done')
      .map((o) => o.version)
      .join(','),
  );
  uploadSummary(TASK, retentionSummary(ref.image, dryRun, outcomes));
  if (troubled.length)
    issue(
      `${troubled.length} version(s) could not be changed: ${troubled.map((o) => `${o.version} ${o.result}`).join(', ')}`,
    );
}

async function share({ signal }: TaskRunContext): Promise<void> {
  const prefix = readString('communityPublicNamePrefix');
  const options = {
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
  };
  validateGalleryName('galleryName', options.gallery);
  validateSharingOptions(options);
  const result = await shareGallery(await connect(signal), options);
  for (const g of result.grants) console.log(`${g.role} for ${g.type} ${g.principal}: ${g.action}`);
  setOutput('galleryId', result.galleryId);
  uploadSummary(TASK, sharingSummary(result));
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
