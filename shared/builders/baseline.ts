import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASELINE_VERSION } from '../smoke/baseline';
import type { Customization, OsType } from './customizations';

/** The rule set's version, as the scripts' headers and SmokeTestImage's baseline checks name it. */
export function baselineVersion(osType: OsType): string {
  return osType === 'Linux' ? BASELINE_VERSION : 'windows-baseline-1';
}

/**
 * The shipped hardening baseline for an OS as the build step both builders run last: `baseline/linux.sh` (POSIX
 * sh, as root) or `baseline/windows.ps1` (elevated), documented rule by rule in `baseline/rules.md`. The task
 * bundle carries the folder next to its `index.js`; from source it sits next to this file.
 */
export function baselineStep(osType: OsType): Customization {
  const file = osType === 'Linux' ? 'linux.sh' : 'windows.ps1';
  const candidates = [path.join(__dirname, 'baseline', file), path.join(__dirname, '..', 'baseline', file)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found)
    throw new Error(`the hardening baseline ${file} is missing from the task package (${candidates[0]})`);
  const name = baselineVersion(osType);
  return osType === 'Linux'
    ? { kind: 'shell', path: found, name }
    : { kind: 'powershell', path: found, name };
}
