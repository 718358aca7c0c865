import { code } from '../report/markdown';
import type { ImportVhdOptions, ImportVhdResult } from './importVhd';
import type { CopyResult } from './snapshots';

const MIB = 1024 * 1024;

/** Summary of a conversion that made one Azure resource from another (snapshot, disk, image). */
export function createdSummaryMarkdown(
  conversion: string,
  what: string,
  sourceId: string,
  result: CopyResult,
): string {
  const size = result.diskSizeGB !== undefined ? `${result.diskSizeGB} GiB, ` : '';
  return `## ConvertDisk: ${conversion}\n\nCreated ${what} ${code(result.id)} from ${code(sourceId)}: ${size}${result.osType ?? 'no OS type'}, Hyper-V ${result.hyperVGeneration ?? 'V1'}.\n`;
}

export function exportSummaryMarkdown(vhdUrl: string, bytes: number, durationMs: number): string {
  return `## ConvertDisk: disk to VHD blob\n\n${code(vhdUrl)}: ${(bytes / MIB).toFixed(0)} MiB copied server-side in ${(durationMs / 1000).toFixed(1)} s\n`;
}

export function importSummaryMarkdown(
  result: ImportVhdResult,
  options: Pick<ImportVhdOptions, 'osType' | 'hyperVGeneration' | 'sku'>,
): string {
  return `## ConvertDisk: VHD blob to managed disk\n\nImported ${code(result.sourceUri)} (${((result.sizeBytes - 512) / MIB).toFixed(0)} MiB) into ${code(result.diskId)}: ${options.osType ?? 'no OS type'}, Hyper-V ${options.hyperVGeneration}, ${options.sku}; copied inside Azure in ${(result.durationMs / 1000).toFixed(1)} s.\n`;
}
