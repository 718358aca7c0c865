import { VhdError } from './vhdError';

export const MIB = 1024 * 1024;
/** Azure direct upload: 20 MiB + 512 B ≤ size ≤ 32 TiB + 512 B, and (size − 512) a whole number of MiB. */
export const MIN_UPLOAD_VIRTUAL_BYTES = 20 * MIB;
export const MAX_UPLOAD_VIRTUAL_BYTES = 32 * 1024 * 1024 * MIB;

export function roundUpToMiB(bytes: number): number {
  return Math.ceil(bytes / MIB) * MIB;
}

/** Checks a fixed VHD's file size against Azure's direct-upload rule before anything is created. */
export function checkUploadSize(fileBytes: number, howToFix?: string): void {
  const virtual = fileBytes - 512;
  if (virtual % MIB !== 0) {
    throw new VhdError(
      'Unaligned',
      `the VHD is ${fileBytes} bytes; Azure needs (size − 512) to be a whole number of MiB, here it is ${(virtual / MIB).toFixed(3)} MiB. ` +
        (howToFix ??
          `Convert it with conversion on (the task rounds the virtual size up to ${roundUpToMiB(virtual) / MIB} MiB), or resize it first`),
    );
  }
  if (virtual < MIN_UPLOAD_VIRTUAL_BYTES) {
    throw new VhdError(
      'TooSmall',
      `the VHD holds ${virtual / MIB} MiB; Azure managed disks start at 20 MiB (upload size 20 MiB + 512 bytes)`,
    );
  }
  if (virtual > MAX_UPLOAD_VIRTUAL_BYTES) {
    throw new VhdError(
      'TooLarge',
      `the VHD holds ${virtual / MIB} MiB; Azure direct upload allows at most 32 TiB (+ 512 bytes)`,
    );
  }
}
