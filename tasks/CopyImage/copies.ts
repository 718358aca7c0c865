// One adapter per copy type: read its inputs into one checked request, make one library call, write outputs and
// the summary. Every agent fact comes through the run context.
import { withDeadline } from '../../shared/azure/deadline';
import { copyVhdBlob, vhdBlobCopyRequest } from '../../shared/blobs/serverCopy';
import { storageAccess } from '../../shared/blobs/storageAccess';
import { copyGalleryVersion, galleryCopyRequest } from '../../shared/copy/galleryVersion';
import { copyManagedImage, imageCopyRequest } from '../../shared/copy/managedImage';
import type { TargetOutcome } from '../../shared/copy/targets';
import {
  readBoolean,
  readDuration,
  readEnum,
  readInt,
  readList,
  readResourceId,
  readString,
} from '../../shared/pipeline/inputs';
import type { TaskRunContext } from '../../shared/pipeline/runTask';
import { blobCopySummaryMarkdown, galleryCopySummaryMarkdown, imageCopySummaryMarkdown } from './summary';

const readTimeout = () => readDuration('timeout', { defaultSeconds: 3 * 3600, maxSeconds: 7 * 86400 });
const readParallel = () => readInt('maxParallelTargets', { min: 1, max: 16, default: 4 });

/** Every target's outcome decides the task: all failed fails it, some failed is an issue, each one named. */
function judge(run: TaskRunContext, outcomes: TargetOutcome<unknown>[]): void {
  const failed = outcomes.filter((o) => o.status === 'failed');
  for (const f of failed)
    run.logger.error(
      `Target ${f.target.resourceGroup}/${f.target.name} in ${f.target.location} failed: ${f.error}`,
    );
  if (failed.length === outcomes.length) throw new Error(`every target failed (${failed.length})`);
  if (failed.length > 0)
    run.issue(`${failed.length} of ${outcomes.length} targets failed; the others were copied`);
}

async function image(run: TaskRunContext): Promise<void> {
  const request = imageCopyRequest({
    source: readResourceId('sourceImageId', { required: true }),
    osState: readEnum('osState', ['Generalized', 'Specialized'] as const, 'Generalized'),
    destinations: {
      subscriptionIds: readList('targetSubscriptionId'),
      resourceGroup: readString('targetResourceGroupName', { required: true }),
      locations: readList('targetLocation'),
      name: readString('targetImageName'),
    },
    overwrite: readBoolean('overwrite'),
    maxParallel: readParallel(),
  });
  const { ctx, expired } = withDeadline(await run.connect(), readTimeout());
  const progress = run.progress('Copying image');
  const percents: number[] = [];
  const { source, outcomes } = await copyManagedImage(ctx, request, {
    cleanup: run.cleanup,
    onProgress: (target, percent) => {
      percents[target] = percent;
      const all = percents.filter((p) => p !== undefined);
      progress(
        all.reduce((a, b) => a + b, 0) / Math.max(1, all.length),
        `target ${target + 1}: ${Math.floor(percent)}%`,
      );
    },
  }).catch((e: unknown) => {
    throw expired(e);
  });
  const ids = outcomes.filter((o) => o.result).map((o) => o.result!.imageId);
  if (ids.length) {
    run.output('imageId', ids[0]);
    run.output('imageIds', ids.join(','));
  }
  run.summary(imageCopySummaryMarkdown(source, outcomes));
  judge(run, outcomes);
}

async function galleryVersion(run: TaskRunContext): Promise<void> {
  const timeoutSeconds = readTimeout();
  const request = galleryCopyRequest({
    source: readResourceId('sourceImageId', { required: true }),
    subscriptionIds: readList('targetSubscriptionId'),
    resourceGroup: readString('targetResourceGroupName', { required: true }),
    gallery: readString('targetGalleryName', { required: true }),
    imageDefinition: readString('targetImageDefinition'),
    version: readString('targetVersion'),
    regions: readList('targetLocation'),
    overwrite: readBoolean('overwrite'),
    maxParallel: readParallel(),
    timeoutMs: timeoutSeconds * 1000,
  });
  const sourceConnection = await run.connect();
  const targetConnection = await run.connectOptional('targetConnectedServiceName');
  // Another tenant: written with its own connection, the source tenant's token along as the auxiliary one.
  const target = targetConnection
    ? { ...targetConnection, auxiliaryCredentials: [sourceConnection.credential] }
    : sourceConnection;
  const source = withDeadline(sourceConnection, timeoutSeconds);
  const { ctx, expired } = withDeadline(target, timeoutSeconds);
  const progress = run.progress('Copying gallery version');
  const percents: number[] = [];
  const { source: read, outcomes } = await copyGalleryVersion(source.ctx, ctx, request, {
    cleanup: run.cleanup,
    onProgress: (index, percent) => {
      percents[index] = percent;
      const all = percents.filter((p) => p !== undefined);
      progress(all.reduce((a, b) => a + b, 0) / Math.max(1, all.length));
    },
  }).catch((e: unknown) => {
    throw expired(e);
  });
  const ids = outcomes.filter((o) => o.result).map((o) => o.result!.versionId);
  if (ids.length) {
    run.output('imageId', ids[0]);
    run.output('imageIds', ids.join(','));
  }
  run.summary(galleryCopySummaryMarkdown(read.id, outcomes, !!targetConnection));
  judge(run, outcomes);
}

async function vhdBlob(run: TaskRunContext): Promise<void> {
  const timeoutSeconds = readTimeout();
  const request = vhdBlobCopyRequest({
    sourceUrl: readString('sourceBlobUrl', { required: true }),
    targetUrl: readString('targetBlobUrl', { required: true }),
    sasType: readEnum('sasType', ['userDelegation', 'accountKey'] as const, 'userDelegation'),
    sasSeconds: readDuration('sasDuration', { defaultSeconds: 3600 }),
    overwrite: readBoolean('overwrite'),
  });
  const { ctx, expired } = withDeadline(await run.connect(), timeoutSeconds);
  const access = await storageAccess(ctx, request, run.secret, readList('targetSubscriptionId'));
  const copying = run.progress('Copying VHD blob');
  const result = await copyVhdBlob(ctx, request, access, {
    cleanup: run.cleanup,
    onSecret: run.secret,
    onProgress: (copied, total) => copying((copied / Math.max(1, total)) * 100),
  }).catch((e: unknown) => {
    throw expired(e);
  });
  run.output('vhdUrl', result.url);
  run.summary(blobCopySummaryMarkdown(request.sourceUrl, result));
}

export const COPY_TYPES = ['image', 'galleryVersion', 'vhdBlob'] as const;
export type CopyType = (typeof COPY_TYPES)[number];

export const COPY_ADAPTERS: Record<CopyType, (run: TaskRunContext) => Promise<void>> = {
  image,
  galleryVersion,
  vhdBlob,
};
