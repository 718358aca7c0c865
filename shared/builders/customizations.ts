import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../validation/inputError';

/*
 * What runs in the image, in order, written one per line in the `customizationScripts` input:
 *   scripts/setup.sh                  a shell script (run as root)
 *   scripts/setup.ps1                 a PowerShell script (elevated)
 *   file: config/motd => /etc/motd    a file copied into the image
 *   restart                           a Windows restart (waits for the VM to come back)
 *   windows-update                    Windows Update (security and critical updates)
 */
export type Customization =
  | { kind: 'shell'; path: string; name: string }
  | { kind: 'powershell'; path: string; name: string }
  | { kind: 'file'; path: string; destination: string; name: string }
  | { kind: 'restart'; name: string }
  | { kind: 'windowsUpdate'; name: string };

export type OsType = 'Linux' | 'Windows';

function existingFile(input: string, file: string, base: string): string {
  const full = path.resolve(base, file);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile())
    throw new InputError(input, `file '${file}' does not exist (looked at ${full})`);
  return full;
}

export function parseCustomizations(
  lines: string[],
  options: { input?: string; baseDirectory: string },
): Customization[] {
  const input = options.input ?? 'customizationScripts';
  return lines.map((raw, k): Customization => {
    const line = raw.trim();
    const name = `step-${k + 1}`;
    if (/^restart$/i.test(line)) return { kind: 'restart', name };
    if (/^windows-update$/i.test(line)) return { kind: 'windowsUpdate', name };
    const file = /^file:\s*(.+?)\s*=>\s*(.+)$/i.exec(line);
    if (file) {
      const destination = file[2].trim();
      if (!/^(\/|[A-Za-z]:\\)/.test(destination))
        throw new InputError(input, `line ${k + 1}: destination '${destination}' must be an absolute path`);
      return { kind: 'file', path: existingFile(input, file[1], options.baseDirectory), destination, name };
    }
    if (/^file:/i.test(line))
      throw new InputError(
        input,
        `line ${k + 1}: write 'file: <local path> => <absolute path in the image>'`,
      );
    const full = existingFile(input, line, options.baseDirectory);
    if (/\.ps1$/i.test(line)) return { kind: 'powershell', path: full, name: path.basename(line) };
    return { kind: 'shell', path: full, name: path.basename(line) };
  });
}

/** Windows-only steps on a Linux image (and the reverse) fail late and far away in Azure; refuse them here. */
export function checkCustomizationsFor(
  osType: OsType,
  steps: Customization[],
  input = 'customizationScripts',
): void {
  for (const [k, s] of steps.entries()) {
    if (osType === 'Linux' && ['powershell', 'restart', 'windowsUpdate'].includes(s.kind))
      throw new InputError(
        input,
        `line ${k + 1} ('${s.name}') is a Windows customization (PowerShell, restart or Windows Update), but the source image is Linux`,
      );
    if (osType === 'Windows' && s.kind === 'shell')
      throw new InputError(
        input,
        `line ${k + 1} ('${s.name}') is a shell script, but the source image is Windows: use a .ps1 script`,
      );
  }
}
