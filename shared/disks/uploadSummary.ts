import { code, markdownTable } from '../report/markdown';
import type { UploadVhdOptions, UploadVhdResult } from './uploadVhd';

const MIB = 1024 * 1024;

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
