import { execFileSync } from 'node:child_process';

/** The system tools some suites need, with the Debian package that brings each (installed by .ci/run). */
export const SYSTEM_TOOLS = {
  'qemu-img': { versionArgs: ['--version'], debianPackage: 'qemu-utils' },
  // The local VM: QEMU, the host's kernel and initrd it boots, and the busybox test images run as their userland.
  'qemu-system-x86_64': { versionArgs: ['--version'], debianPackage: 'qemu-system-x86' },
  busybox: { versionArgs: ['--help'], debianPackage: 'busybox-static' },
  'linux-kernel': { versionArgs: [], debianPackage: 'linux-image-amd64' },
  // BuildImage's Packer path: Debian's packer is 1.6.6 (azure-arm built in, no `packer init`).
  packer: { versionArgs: ['version'], debianPackage: 'packer' },
} as const;
export type SystemTool = keyof typeof SYSTEM_TOOLS;

const skipped: { suite: string; reason: string }[] = [];

// Printed after mocha's own summary, so "N pending" is never left without a reason.
process.once('exit', () => {
  if (!skipped.length) return;
  console.log(`Skipped suites (${skipped.length}):`);
  for (const s of skipped) console.log(`  - ${s.suite}: ${s.reason}`);
});

/** The install line for a missing tool. */
export function installHint(tool: SystemTool): string {
  return `install the Debian package ${SYSTEM_TOOLS[tool].debianPackage} (apt-get install -y ${SYSTEM_TOOLS[tool].debianPackage})`;
}

/**
 * A suite that needs a system tool: on a machine without it the suite is skipped with one line saying why and how
 * to install it, and named again at the end of the run. In CI the tool must be there, so its absence fails.
 */
export function requireTool(suite: Mocha.Context, tool: SystemTool): void {
  try {
    // The kernel is a file, not a program: a local VM boots the newest /boot/vmlinuz-* with its initrd.
    if (tool === 'linux-kernel')
      execFileSync('sh', ['-c', 'ls /boot/vmlinuz-* /boot/initrd.img-*'], { stdio: 'ignore' });
    else execFileSync(tool, [...SYSTEM_TOOLS[tool].versionArgs], { stdio: 'ignore' });
  } catch {
    const reason = `${tool} is not installed: ${installHint(tool)}`;
    if (process.env.CI) throw new Error(`${reason}; CI must have it: check .ci/run`);
    const title = suite.test?.parent?.fullTitle() ?? 'a suite';
    console.log(`    skipped: ${reason}`);
    skipped.push({ suite: title, reason });
    suite.skip();
  }
}
