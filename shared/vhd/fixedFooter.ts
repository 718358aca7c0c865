import { FOOTER_SIZE, type VhdFooter } from './footer';
import { MIB } from './uploadRules';
import { VhdError } from './vhdError';

/**
 * What Azure refuses in the footer of a fixed VHD, whether it is a file on the agent or a blob: a corrupt checksum,
 * a length that disagrees with the footer (truncated or padded), a virtual size that is not a whole number of MiB.
 * `name` says which image (a quoted path or URL).
 */
export function checkFixedFooter(name: string, footer: VhdFooter, totalBytes: number): void {
  if (footer.checksum !== footer.computedChecksum) {
    throw new VhdError(
      'BadChecksum',
      `${name} has a corrupt VHD footer: checksum 0x${footer.checksum.toString(16).padStart(8, '0')} is stored but the footer sums to 0x${footer.computedChecksum.toString(16).padStart(8, '0')}`,
    );
  }
  if (totalBytes !== footer.currentSize + FOOTER_SIZE) {
    throw new VhdError(
      'Truncated',
      `${name} is ${totalBytes} bytes but its footer describes a ${footer.currentSize}-byte disk (+512 bytes of footer): the file is ${totalBytes < footer.currentSize + FOOTER_SIZE ? 'truncated' : 'longer than its footer says'}`,
    );
  }
  if (footer.currentSize % MIB !== 0) {
    throw new VhdError(
      'Unaligned',
      `${name} has a virtual size of ${footer.currentSize} bytes, not a whole number of MiB as Azure requires; turn conversion on to round it up to ${Math.ceil(footer.currentSize / MIB)} MiB`,
    );
  }
}
