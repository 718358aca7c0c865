import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASELINE_VERSION } from '../smoke/baseline';
import type { OsType } from './customizations';

/** The rule set's version, as the scripts' headers and SmokeTestImage's baseline checks name it. */
export function baselineVersion(osType: OsType): string {
  return osType === 'Linux' ? BASELINE_VERSION : 'windows-baseline-1';
}

/**
 * The shipped hardening baseline for an OS: `baseline/linux.sh` (POSIX sh) or `baseline/windows.ps1`, documented
 * rule by rule in `baseline/rules.md`. The task bundle carries the folder next to its `index.js`; from source it
 * sits next to this file.
 */
export function baselineScript(osType: OsType): { path: string; name: string } {
  const file = osType === 'Linux' ? 'linux.sh' : 'windows.ps1';
  const candidates = [path.join(__dirname, 'baseline', file), path.join(__dirname, '..', 'baseline', file)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found)
    throw new Error(`the hardening baseline ${file} is missing from the task package (${candidates[0]})`);
  return { path: found, name: baselineVersion(osType) };
}
