import type { GalleryImageVersion, GalleryImageVersionUpdate } from '@azure/arm-compute';
import { isRestError } from '@azure/core-rest-pipeline';
import { computeClient, lroOptions } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import { formatAzureError } from '../../azure/errors';
import { InputError } from '../../validation/inputError';
import { galleryLocation } from '../definition/galleryLocation';
import { listVersionsNewestFirst } from '../version/list';
import type { DefinitionRef } from '../version/ref';
import { regionKey } from '../../azure/regions';

export interface RetentionPolicy {
  /** The newest N versions (by number) are never touched. */
  keep: number;
  /** Older versions keep one replica in the gallery's region only (they stay usable, cost little). */
  shrinkOlder: boolean;
  /** Older versions without an end-of-life date get now + this many seconds. */
  endOfLifeAfterSeconds?: number;
  /** Older versions whose end of life has passed are deleted. */
  deletePastEndOfLife: boolean;
}

export type RetentionStep =
  | { version: string; action: 'keep'; why: string }
  | { version: string; action: 'update'; shrink: boolean; endOfLifeDate?: Date; why: string }
  | { version: string; action: 'delete'; why: string };

export interface RetentionOutcome {
  version: string;
  action: RetentionStep['action'];
  /** done, planned (dry run), protected (Azure refused on purpose), failed. */
  result: 'done' | 'planned' | 'protected' | 'failed' | 'unchanged';
  detail: string;
}

/** A retention run: where, the policy, and whether to only print the plan. */
export interface RetentionRequest {
  definition: DefinitionRef;
  policy: RetentionPolicy;
  dryRun: boolean;
}

/** The retention request, checked once (errors name the input); applyRetentionPolicy trusts it. */
export function retentionRequest(request: RetentionRequest): RetentionRequest {
  const { policy } = request;
  if (!Number.isInteger(policy.keep) || policy.keep < 1) {
    throw new InputError(
      'keepVersions',
      `${policy.keep} must be a whole number of at least 1: retention never removes every version`,
    );
  }
  return request;
}

/** What the policy does to each version, newest first; a pure function so a dry run prints exactly what apply does. */
export function planRetention(
  versions: GalleryImageVersion[],
  policy: RetentionPolicy,
  home: string,
  now = new Date(),
): RetentionStep[] {
  return versions.map((v, index): RetentionStep => {
    const name = v.name!;
    if (index < policy.keep)
      return { version: name, action: 'keep', why: `one of the newest ${policy.keep}` };
    const profile = v.publishingProfile;
    const eol = profile?.endOfLifeDate;
    if (policy.deletePastEndOfLife && eol && eol.getTime() <= now.getTime()) {
      return {
        version: name,
        action: 'delete',
        why: `end of life ${eol.toISOString().slice(0, 10)} has passed`,
      };
    }
    const targets = profile?.targetRegions ?? [];
    const shrink =
      policy.shrinkOlder &&
      (targets.length > 1 ||
        targets.some((t) => (t.regionalReplicaCount ?? 1) > 1 || regionKey(t.name) !== home));
    const stamp =
      policy.endOfLifeAfterSeconds !== undefined && !eol
        ? new Date(now.getTime() + policy.endOfLifeAfterSeconds * 1000)
        : undefined;
    if (!shrink && !stamp) return { version: name, action: 'keep', why: 'already within the policy' };
    const why = [
      shrink ? `shrink to 1 replica in ${home}` : '',
      stamp ? `end of life ${stamp.toISOString().slice(0, 10)}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return { version: name, action: 'update', shrink, endOfLifeDate: stamp, why };
  });
}

/** Azure refuses on purpose: a version still used as a source, deletion blocked before end of life, regions kept. */
function isProtection(e: unknown): boolean {
  return isRestError(e) && (e.statusCode === 409 || e.code === 'OperationNotAllowed');
}

/**
 * Applies a plan: updates first, then deletions in parallel (each takes minutes in Azure). A version Azure
 * protects is reported, not fatal; other failures are reported too, so one stuck version never hides the rest.
 */
async function applyPlan(
  ctx: AzureContext,
  ref: DefinitionRef,
  plan: RetentionStep[],
  home: string,
  options: { dryRun: boolean; concurrency?: number; onDone?: (done: number, total: number) => void },
): Promise<RetentionOutcome[]> {
  const client = computeClient(ctx);
  const work = plan.filter((s) => s.action !== 'keep');
  const outcomes: RetentionOutcome[] = plan
    .filter((s) => s.action === 'keep')
    .map((s) => ({ version: s.version, action: s.action, result: 'unchanged', detail: s.why }));
  if (options.dryRun) {
    return [
      ...outcomes,
      ...work.map((s): RetentionOutcome => ({
        version: s.version,
        action: s.action,
        result: 'planned',
        detail: s.why,
      })),
    ];
  }
  let done = 0;
  const run = async (step: RetentionStep): Promise<RetentionOutcome> => {
    try {
      if (step.action === 'delete') {
        await client.galleryImageVersions.delete(
          ref.resourceGroup,
          ref.gallery,
          ref.image,
          step.version,
          lroOptions(ctx),
        );
      } else if (step.action === 'update') {
        const update: GalleryImageVersionUpdate = {
          storageProfile: {}, // required by the update model; empty keeps the source
          publishingProfile: {
            ...(step.shrink
              ? { targetRegions: [{ name: home, regionalReplicaCount: 1 }], replicaCount: 1 }
              : {}),
            ...(step.endOfLifeDate ? { endOfLifeDate: step.endOfLifeDate } : {}),
          },
        };
        await client.galleryImageVersions.update(
          ref.resourceGroup,
          ref.gallery,
          ref.image,
          step.version,
          update,
          lroOptions(ctx),
        );
      }
      return { version: step.version, action: step.action, result: 'done', detail: step.why };
    } catch (e) {
      if (ctx.abortSignal?.aborted) throw e;
      return {
        version: step.version,
        action: step.action,
        result: isProtection(e) ? 'protected' : 'failed',
        detail: formatAzureError(e),
      };
    } finally {
      options.onDone?.(++done, work.length);
    }
  };
  const updates = work.filter((s) => s.action === 'update');
  const deletes = work.filter((s) => s.action === 'delete');
  for (const step of updates) outcomes.push(await run(step));
  let next = 0;
  const worker = async () => {
    while (next < deletes.length) outcomes.push(await run(deletes[next++]));
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, deletes.length) }, worker));
  return outcomes;
}

/**
 * Retention for one definition: every version read once, the plan made against the gallery's region (where a
 * shrunk version keeps its one replica), then applied (or only reported, on a dry run).
 */
export async function applyRetentionPolicy(
  ctx: AzureContext,
  request: RetentionRequest,
  options: { concurrency?: number; onProgress?: (percent: number) => void } = {},
): Promise<RetentionOutcome[]> {
  const versions = await listVersionsNewestFirst(ctx, request.definition);
  const home = await galleryLocation(ctx, request.definition);
  const plan = planRetention(versions, request.policy, home);
  return applyPlan(ctx, request.definition, plan, home, {
    dryRun: request.dryRun,
    concurrency: options.concurrency,
    onDone: (done, total) => options.onProgress?.((done / total) * 100),
  });
}
