import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AzureContext } from '../../azure/context';
import type { CleanupStack } from '../../azure/cleanup';
import { baselineStep, baselineVersion } from '../baseline';
import type { BuildRequest } from '../buildRequest';
import { checkCustomizationsFor } from '../customizations';
import { sourceOs } from '../sourceOs';
import { builtinPackerTemplate } from './builtinTemplate';
import type { PackerCredentials } from './credentials';
import {
  packerBuild,
  packerInit,
  packerValidate,
  type PackerBuildResult,
  type PackerExecutable,
} from './packerRun';
import { nextGalleryVersion } from './targets';

export interface PackerBuildOptions {
  request: BuildRequest;
  /** The user's template; without it the built-in template for the request is written to `workDirectory`. */
  templatePath?: string;
  packer: PackerExecutable;
  credentials: PackerCredentials;
  /** `PKR_VAR_*` for packer's environment. */
  variables: Record<string, string>;
  workDirectory: string;
  tags: Record<string, string>;
}

export interface PackerBuildOutcome {
  result: PackerBuildResult;
  /** The built-in template's steps (none known for a user's template), baseline included. */
  steps: string[];
  baselineVersion?: string;
}

/**
 * A Packer build from start to end: the built-in template written when no template is given (the source read for
 * its OS, Windows steps on Linux refused, the baseline last, the gallery's next version chosen), then `packer
 * init`, `validate` and `build` with the credentials and variables in packer's environment only. A failed build
 * resolves with its exit code; the caller decides.
 */
export async function runPackerBuild(
  ctx: AzureContext,
  options: PackerBuildOptions,
  hooks: {
    cleanup: CleanupStack;
    onLine: (line: string, level: 'say' | 'message' | 'error') => void;
    onProgress?: (percent: number, stage: string) => void;
  },
): Promise<PackerBuildOutcome> {
  const { request } = options;
  let templatePath = options.templatePath;
  let steps: string[] = [];
  let baseline: string | undefined;
  if (!templatePath) {
    const osType = await sourceOs(ctx, request);
    const own = [...request.customizations];
    checkCustomizationsFor(osType, own);
    if (request.baseline) {
      own.push(baselineStep(osType));
      baseline = baselineVersion(osType);
    }
    steps = own.map((s) => s.name);
    const generated = path.join(options.workDirectory, `vm-image-lifecycle-${Date.now()}.pkr.hcl`);
    fs.writeFileSync(
      generated,
      builtinPackerTemplate({
        request: { ...request, osType },
        auth: options.credentials.auth,
        steps: own,
        galleryVersion: await nextGalleryVersion(ctx, request.distribution.galleryImageId),
        requiredPlugins: !/^1\.[0-6]\./.test(options.packer.version),
        tags: options.tags,
      }),
    );
    hooks.cleanup.defer(`generated template ${generated}`, () =>
      Promise.resolve(fs.rmSync(generated, { force: true })),
    );
    hooks.onLine(`Built-in ${osType} template written to ${generated}`, 'say');
    templatePath = generated;
  }
  const run = {
    packer: options.packer,
    templatePath,
    env: {
      ...options.credentials.env,
      ...Object.fromEntries(Object.entries(options.variables).map(([k, v]) => [`PKR_VAR_${k}`, v])),
    },
    signal: ctx.abortSignal,
    onLine: hooks.onLine,
  };
  hooks.onProgress?.(2, 'packer init');
  await packerInit(run);
  hooks.onProgress?.(5, 'packer validate');
  await packerValidate(run);
  hooks.onProgress?.(10, 'packer build');
  const result = await packerBuild(run);
  hooks.onProgress?.(100, result.exitCode === 0 ? 'done' : 'failed');
  return { result, steps, baselineVersion: baseline };
}
