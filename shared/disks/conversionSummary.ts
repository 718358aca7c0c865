import { code } from '../report/markdown';
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
