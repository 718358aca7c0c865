export type VhdErrorCode =
  | 'NotVhd'
  | 'Dynamic'
  | 'Differencing'
  | 'Unaligned'
  | 'BadChecksum'
  | 'Truncated'
  | 'Damaged'
  | 'NotSectorAligned'
  | 'TooSmall'
  | 'TooLarge'
  | 'UnsupportedFormat'
  | 'QemuImgMissing'
  | 'ConversionFailed';

/** What is wrong with an image file, with a message that says how to fix it. */
export class VhdError extends Error {
  constructor(
    readonly code: VhdErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VhdError';
  }
}
