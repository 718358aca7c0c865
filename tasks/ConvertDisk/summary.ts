import { code, markdownTable } from '../../shared/pipeline/markdown';
import type { ImportVhdOptions, ImportVhdResult } from '../../shared/disks/importVhd';
import type { CopyResult } from '../../shared/disks/snapshots';
import type { UploadVhdOptions, UploadVhdResult } from '../../shared/disks/uploadVhd';

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

/** The conversion at a glance: source, target, size, what was really sent, and how long it took. */
export function uploadSummaryMarkdown(options: UploadVhdOptions, result: UploadVhdResult): string {
  const seconds = result.durationMs / 1000;
  return [
    `## ConvertDisk: VHD to managed disk`,
    '',
    markdownTable(
      ['', 'value'],
      [
        ['source', code(options.vhdPath) + (result.converted ? ` (converted from ${result.converted})` : '')],
        ['target', code(result.diskId)],
        [
          'disk size',
          `${((result.fileBytes - 512) / MIB).toFixed(0)} MiB, ${options.hyperVGeneration}${options.osType ? `, ${options.osType}` : ''}, ${options.sku}`,
        ],
        [
          'bytes sent',
          `${(result.bytesSent / MIB).toFixed(1)} MiB (${(result.bytesSkippedZero / MIB).toFixed(1)} MiB of zeros skipped)`,
        ],
        ['resumed', result.resumed ? `yes (${result.rangesUnchanged} ranges already there)` : 'no'],
        [
          'time',
          `${seconds.toFixed(1)} s (${(result.bytesSent / MIB / Math.max(seconds, 0.001)).toFixed(1)} MiB/s)`,
        ],
      ],
    ),
    '',
  ].join('\n');
}

export function downloadSummaryLine(
  localPath: string,
  result: { fileBytes: number; bytesDownloaded: number },
): string {
  return `Wrote ${localPath}: ${(result.fileBytes / MIB).toFixed(0)} MiB, ${(result.bytesDownloaded / MIB).toFixed(1)} MiB of data downloaded`;
}
