import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { runChild } from '../system/childProcess';
import { convertToFixedVhd, type ToFixedOptions, type ToFixedResult } from './toFixed';
import { VhdError } from './vhdError';

async function qemuImg(command: string, args: string[], signal?: AbortSignal): Promise<string> {
  const result = await runChild(command, args, {
    signal,
    // qemu-img holds no remote state: stop it at once, the partial output is removed by the caller.
    stopSignal: 'SIGTERM',
    missing: () =>
      new VhdError(
        'QemuImgMissing',
        'qemu-img is not installed on this agent: install qemu-utils (apt-get install qemu-utils) or upload a fixed VHD',
      ),
  });
  if (result.exitCode !== 0)
    throw new VhdError(
      'ConversionFailed',
      `qemu-img ${args[0]} failed (exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  return result.stdout;
}

/**
 * VHDX, qcow2 and other formats qemu-img reads → fixed VHD. qemu-img writes a sparse raw copy first, which the
 * in-process converter then aligns to whole MiB (qemu-img's own VHD output keeps unaligned sizes).
 */
export async function convertWithQemuImg(
  inputPath: string,
  outputPath: string,
  options: ToFixedOptions & { qemuImg?: string } = {},
): Promise<ToFixedResult> {
  const raw = path.join(path.dirname(outputPath), `.${path.basename(outputPath)}.raw-${process.pid}`);
  try {
    await qemuImg(options.qemuImg ?? 'qemu-img', ['convert', '-O', 'raw', inputPath, raw], options.signal);
    return await convertToFixedVhd(raw, outputPath, options);
  } finally {
    await fs.rm(raw, { force: true });
  }
}
