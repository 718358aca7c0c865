import type { GalleryImageVersion } from '@azure/arm-compute';
import { computeClient } from '../../azure/clients';
import type { AzureContext } from '../../azure/context';
import type { GalleryVersionRef } from './ref';
import { regionKey } from '../../azure/regions';

export interface RegionReplication {
  region: string;
  /** Unknown, Replicating, Completed or Failed. */
  state: string;
  progress: number;
  details?: string;
  replicas?: number;
  excludeFromLatest?: boolean;
}

export interface VersionReplication {
  version: GalleryImageVersion;
  aggregatedState: string;
  regions: RegionReplication[];
}

/** One GET with `$expand=ReplicationStatus` (the only way Azure reports per-region state). */
export async function readReplication(
  ctx: AzureContext,
  ref: GalleryVersionRef,
  onRetryAfter?: (ms: number) => void,
): Promise<VersionReplication> {
  const version = await computeClient(ctx).galleryImageVersions.get(
    ref.resourceGroup,
    ref.gallery,
    ref.image,
    ref.version,
    {
      expand: 'ReplicationStatus',
      abortSignal: ctx.abortSignal,
      onResponse: (raw) => {
        const after = Number(raw.headers.get('retry-after'));
        if (Number.isFinite(after) && after > 0) onRetryAfter?.(after * 1000);
      },
    },
  );
  const targets = version.publishingProfile?.targetRegions ?? [];
  const summary = version.replicationStatus?.summary ?? [];
  const regions = targets.map((t): RegionReplication => {
    const s = summary.find((r) => regionKey(r.region ?? '') === regionKey(t.name));
    return {
      region: regionKey(t.name),
      state: s?.state ?? 'Unknown',
      progress: s?.progress ?? 0,
      details: s?.details || undefined,
      replicas: t.regionalReplicaCount,
      excludeFromLatest: t.excludeFromLatest,
    };
  });
  return { version, aggregatedState: version.replicationStatus?.aggregatedState ?? 'Unknown', regions };
}

export class ReplicationFailedError extends Error {
  constructor(readonly failed: RegionReplication[]) {
    super(
      `replication failed in ${failed.map((r) => `${r.region}${r.details ? ` (${r.details})` : ''}`).join(', ')}`,
    );
    this.name = 'ReplicationFailedError';
  }
}

export interface WaitOptions {
  /** Regions to wait for (ARM names); empty: every target region. */
  regions: string[];
  timeoutMs: number;
  onProgress?: (percent: number, state: VersionReplication) => void;
}

/**
 * Polls until every chosen region has replicated, failing with the region's own error when one fails and with the
 * regions still pending when the timeout passes. Waits the client's interval, or longer when Azure says so.
 */
export async function waitForReplication(
  ctx: AzureContext,
  ref: GalleryVersionRef,
  options: WaitOptions,
): Promise<VersionReplication> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = ctx.pollIntervalMs ?? 30_000;
  for (;;) {
    let retryAfter = 0;
    const state = await readReplication(ctx, ref, (ms) => (retryAfter = ms));
    const unknown = options.regions.filter((r) => !state.regions.some((s) => s.region === regionKey(r)));
    if (unknown.length) {
      throw new Error(
        `version ${ref.version} is not replicated to ${unknown.join(', ')}: its target regions are ${state.regions.map((r) => r.region).join(', ')}`,
      );
    }
    const chosen = options.regions.length
      ? state.regions.filter((s) => options.regions.some((r) => regionKey(r) === s.region))
      : state.regions;
    const failed = chosen.filter((r) => r.state === 'Failed');
    if (failed.length) throw new ReplicationFailedError(failed);
    const percent =
      chosen.reduce((n, r) => n + (r.state === 'Completed' ? 100 : r.progress), 0) /
      Math.max(1, chosen.length);
    options.onProgress?.(percent, state);
    if (chosen.every((r) => r.state === 'Completed')) return state;
    if (Date.now() >= deadline) {
      const pending = chosen
        .filter((r) => r.state !== 'Completed')
        .map((r) => `${r.region} ${r.state} ${r.progress}%`);
      throw new Error(
        `replication of version ${ref.version} did not finish in time; still pending: ${pending.join(', ')}. Run the wait mode again later`,
      );
    }
    await sleep(
      Math.min(Math.max(interval, retryAfter), Math.max(0, deadline - Date.now())),
      ctx.abortSignal,
    );
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', abort, { once: true });
  });
}
