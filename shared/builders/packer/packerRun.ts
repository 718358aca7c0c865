import * as fs from 'node:fs';
import * as path from 'node:path';
import { runChild } from '../../system/childProcess';
import { InputError } from '../../validation/inputError';
import {
  ArtifactCollector,
  AZURE_ARM_BUILDER_ID,
  azureArtifactIds,
  type AzureArtifactIds,
  type PackerArtifact,
} from './artifacts';
import { MachineReadableStream, type PackerEvent } from './machineReadable';

export interface PackerExecutable {
  path: string;
  version: string;
}

export interface PackerRunOptions {
  packer: PackerExecutable;
  /** A template file (`.pkr.hcl`, `.pkr.json`, `.json`) or a directory of HCL2 files. */
  templatePath: string;
  /** The packer process's own environment: credentials and PKR_VAR_* variables. */
  env: Record<string, string>;
  signal?: AbortSignal;
  /** Each line packer prints for people (ui say/message/error), as it comes. */
  onLine?: (line: string, level: 'say' | 'message' | 'error') => void;
  input?: string;
}

export interface PackerBuildResult {
  exitCode: number;
  artifacts: PackerArtifact[];
  azure?: AzureArtifactIds;
  errors: string[];
  logTail: string[];
  seconds: number;
}

const QUIET_ENV = { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1' };

export function isHcl2(templatePath: string): boolean {
  return (
    fs.statSync(templatePath).isDirectory() ||
    /\.pkr\.hcl$/i.test(templatePath) ||
    /\.hcl$/i.test(templatePath)
  );
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** The template exists and, for JSON, parses; HCL2 syntax is packer's to judge (validate -syntax-only). */
export function checkTemplateFile(templatePath: string, input = 'templatePath'): void {
  if (!fs.existsSync(templatePath)) throw new InputError(input, `'${templatePath}' does not exist`);
  if (isHcl2(templatePath)) return;
  try {
    JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  } catch (e) {
    throw new InputError(
      input,
      `'${templatePath}' is not valid JSON: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function hclText(templatePath: string): string {
  if (!fs.statSync(templatePath).isDirectory()) return fs.readFileSync(templatePath, 'utf8');
  return fs
    .readdirSync(templatePath)
    .filter((f) => f.endsWith('.pkr.hcl'))
    .map((f) => fs.readFileSync(path.join(templatePath, f), 'utf8'))
    .join('\n');
}

async function packer(options: PackerRunOptions, args: string[], stream?: MachineReadableStream) {
  return runChild(options.packer.path, args, {
    env: { ...options.env, ...QUIET_ENV },
    cwd: fs.statSync(options.templatePath).isDirectory()
      ? options.templatePath
      : path.dirname(options.templatePath),
    signal: options.signal,
    processGroup: true,
    stopSignal: 'SIGINT',
    // The agent kills the task about 10 s after cancelling it; packer needs most of that to clean up.
    killAfterMs: 8_000,
    onStdout: stream ? (chunk) => stream.push(chunk) : undefined,
    missing: () =>
      new InputError(
        'packerVersion',
        `'${options.packer.path}' cannot be run; give packerVersion to install packer`,
      ),
  });
}

/**
 * `packer init` for HCL2 templates that list required plugins. Packer before 1.7 has no init (its azure builder
 * is built in), so such a template needs a newer packer: said plainly rather than left to a cryptic failure.
 */
export async function packerInit(options: PackerRunOptions): Promise<boolean> {
  if (!isHcl2(options.templatePath) || !/required_plugins\s*\{/.test(hclText(options.templatePath)))
    return false;
  if (!atLeast(options.packer.version, 1, 7))
    throw new InputError(
      'packerVersion',
      `packer ${options.packer.version} has no 'packer init' (it came with 1.7), and the template lists required_plugins: give packerVersion 1.7 or newer (e.g. 1.11.2), or remove the required_plugins block to use the built-in azure builder`,
    );
  const result = await packer(options, ['init', path.basename(options.templatePath)]);
  if (result.exitCode !== 0)
    throw new Error(`packer init failed: ${(result.stderr || result.stdout).trim()}`);
  return true;
}

/** `packer validate` (all of it, or syntax only): an invalid template is the input's fault. */
export async function packerValidate(options: PackerRunOptions, syntaxOnly = false): Promise<void> {
  const target = fs.statSync(options.templatePath).isDirectory() ? '.' : path.basename(options.templatePath);
  const result = await packer(options, ['validate', ...(syntaxOnly ? ['-syntax-only'] : []), target]);
  if (result.exitCode !== 0)
    throw new InputError(
      options.input ?? 'templatePath',
      `packer validate failed for '${options.templatePath}':\n${(result.stdout + result.stderr).trim()}`,
    );
}

/**
 * `packer build -machine-readable`: every message streamed to the log as it comes, artifacts collected (azure-arm's
 * ids parsed from its text, whatever version printed it), cancellation forwarded to packer's process group so it
 * cleans up what it made. A failed build resolves with its exit code and errors; the caller decides.
 */
export async function packerBuild(options: PackerRunOptions): Promise<PackerBuildResult> {
  const started = Date.now();
  const collector = new ArtifactCollector();
  const errors: string[] = [];
  const tail: string[] = [];
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
  };
  const onEvent = (event: PackerEvent) => {
    collector.add(event);
    if (event.type === 'ui') {
      const [level, ...rest] = event.data;
      const text = rest.join(',');
      for (const line of text.split('\n').filter((l) => l.trim())) {
        remember(line);
        options.onLine?.(line, level === 'error' ? 'error' : level === 'message' ? 'message' : 'say');
        if (level === 'error') errors.push(line);
      }
    } else if (event.type === 'error') {
      errors.push(event.data.join(','));
    }
  };
  const stream = new MachineReadableStream(onEvent, (line) => {
    remember(line);
    options.onLine?.(line, 'message');
  });
  const target = fs.statSync(options.templatePath).isDirectory() ? '.' : path.basename(options.templatePath);
  const result = await packer(
    options,
    ['build', '-machine-readable', '-color=false', '-on-error=cleanup', target],
    stream,
  );
  stream.end();
  for (const line of result.stderr.split('\n').filter((l) => l.trim())) {
    remember(line);
    errors.push(line);
  }
  const artifacts = collector.artifacts;
  const azure = artifacts.find((a) => a.builderId === AZURE_ARM_BUILDER_ID);
  return {
    exitCode: result.exitCode,
    artifacts,
    azure: azure ? azureArtifactIds(azure) : undefined,
    errors,
    logTail: tail,
    seconds: (Date.now() - started) / 1000,
  };
}
