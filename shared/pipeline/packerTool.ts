import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tl from 'azure-pipelines-task-lib/task';
import * as toolLib from 'azure-pipelines-tool-lib/tool';
import { InputError } from '../validation/inputError';

/** The Packer version BuildImage installs when asked for none and none is on PATH. */
export const PACKER_DEFAULT_VERSION = '1.11.2';
const RELEASES = 'https://releases.hashicorp.com/packer';

export interface PackerTool {
  path: string;
  version: string;
  source: 'PATH' | 'tool cache' | 'downloaded';
}

/**
 * Packer for BuildImage: the one on PATH when no version is asked, else the asked (or pinned) version from the
 * agent's tool cache, downloaded from HashiCorp's releases into it when missing and checked against the release's
 * SHA256SUMS. Later jobs on the same agent find it in the cache.
 */
export async function resolvePacker(
  options: { version?: string; releasesUrl?: string } = {},
): Promise<PackerTool> {
  if (options.version !== undefined && !/^\d+\.\d+\.\d+$/.test(options.version))
    throw new InputError(
      'packerVersion',
      `'${options.version}' is not a Packer version (major.minor.patch, e.g. ${PACKER_DEFAULT_VERSION})`,
    );
  if (!options.version) {
    const onPath = tl.which('packer', false);
    if (!onPath)
      throw new InputError(
        'packerVersion',
        `packer is not on the agent's PATH and no version was asked for: give packerVersion (e.g. ${PACKER_DEFAULT_VERSION}) to install it into the tool cache, or install packer on the agent`,
      );
    return { path: onPath, version: packerVersion(onPath), source: 'PATH' };
  }
  const version = options.version;
  const exe = process.platform === 'win32' ? 'packer.exe' : 'packer';
  const cached = toolLib.findLocalTool('packer', version);
  if (cached) {
    toolLib.prependPath(cached);
    return { path: path.join(cached, exe), version, source: 'tool cache' };
  }
  const platform = { win32: 'windows', darwin: 'darwin' }[process.platform as string] ?? 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const base = (options.releasesUrl ?? RELEASES).replace(/\/+$/, '');
  const file = `packer_${version}_${platform}_${arch}.zip`;
  const download = async (name: string) => {
    try {
      return await toolLib.downloadTool(`${base}/${version}/${name}`);
    } catch (e) {
      throw new InputError(
        'packerVersion',
        `Packer ${version} could not be downloaded (${base}/${version}/${name}): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  };
  const zip = await download(file);
  const sums = fs.readFileSync(await download(`packer_${version}_SHA256SUMS`), 'utf8');
  const expected = sums
    .split('\n')
    .find((l) => l.trim().endsWith(` ${file}`) || l.trim().endsWith(`*${file}`))
    ?.split(/\s+/)[0];
  const actual = createHash('sha256').update(fs.readFileSync(zip)).digest('hex');
  if (!expected || expected.toLowerCase() !== actual)
    throw new Error(
      `the downloaded ${file} does not match its SHA256SUMS (${expected ? `expected ${expected}, got ${actual}` : 'no entry for it'}): not installed`,
    );
  const extracted = await toolLib.extractZip(zip);
  const dir = await toolLib.cacheDir(extracted, 'packer', version);
  fs.chmodSync(path.join(dir, exe), 0o755);
  toolLib.prependPath(dir);
  return { path: path.join(dir, exe), version, source: 'downloaded' };
}

/** The version a packer binary reports, whatever banner or update notice it prints around it. */
export function packerVersion(executable: string): string {
  const out = execFileSync(executable, ['version'], {
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  });
  const m = /(?:^|\s)v?(\d+\.\d+\.\d+)(?:\s|$)/m.exec(out);
  if (!m)
    throw new InputError(
      'packerVersion',
      `'${executable} version' printed no version number (${JSON.stringify(out.trim().slice(0, 200))}): install a packer that reports one, or give packerVersion to install a release`,
    );
  return m[1];
}
