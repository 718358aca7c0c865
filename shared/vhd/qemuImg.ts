import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { convertToFixedVhd, type ToFixedOptions, type ToFixedResult } from './toFixed';
import { VhdError } from './vhdError';

async function run(command: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Node does not pass a cancellation on to children: qemu-img is told itself.
    const onAbort = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new VhdError(
              'QemuImgMissing',
              'qemu-img is not installed on this agent: install qemu-utils (apt-get install qemu-utils) or upload a fixed VHD',
            )
          : e,
      );
    });
    child.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason);
      else if (code === 0) resolve(stdout);
      else
        reject(
          new VhdError('ConversionFailed', `qemu-img ${args[0]} failed (exit ${code}): ${stderr.trim()}`),
        );
    });
  });
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
  const qemuImg = options.qemuImg ?? 'qemu-img';
  const raw = path.join(path.dirname(outputPath), `.${path.basename(outputPath)}.raw-${process.pid}`);
  try {
    await run(qemuImg, ['convert', '-O', 'raw', inputPath, raw], options.signal);
    return await convertToFixedVhd(raw, outputPath, options);
  } finally {
    await fs.rm(raw, { force: true });
  }
}
