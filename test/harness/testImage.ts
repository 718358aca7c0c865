import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixedFooter } from '../../shared/vhd/footer';

/*
 * Test images for the local VM: a directory made into an ext4 file system (`mke2fs -d`, no root and no mount
 * needed) holding busybox, an init, whatever a test puts in, and, unless told otherwise, the local VM agent. A
 * check passes or fails because of what is in the image, never because of the host.
 */
export interface TestImageOptions {
  /** Files in the image: absolute path in the image → content, or content and mode. */
  files?: Record<string, string | { content: string; mode?: number }>;
  /** Shell lines init runs at boot before the agent starts (start a service, listen on a port). */
  boot?: string[];
  /** Carry the local VM agent (default true). Without it the VM boots but never becomes ready, as in Azure. */
  agent?: boolean;
  sizeMiB?: number;
}

export const AGENT_SCRIPT = path.join(__dirname, '../local-azure/vm/agent.sh');
const BUSYBOX = '/bin/busybox';

/** The machine's busybox-static, which a test image runs as its whole userland. */
export function busyboxPath(): string | undefined {
  for (const p of [BUSYBOX, '/usr/bin/busybox']) if (fs.existsSync(p)) return p;
  return undefined;
}

function initScript(options: TestImageOptions): string {
  return [
    '#!/bin/sh',
    '# Init of a local test image: file systems, the boot lines of the test, the agent, then wait forever.',
    'export PATH=/usr/sbin:/usr/bin:/sbin:/bin',
    'mount -t proc proc /proc 2>/dev/null',
    'mount -t sysfs sys /sys 2>/dev/null',
    'mount -t devtmpfs dev /dev 2>/dev/null',
    'mount -t tmpfs run /run 2>/dev/null',
    'mount -t tmpfs tmp /tmp 2>/dev/null',
    'hostname local-vm',
    'ifconfig lo 127.0.0.1 up 2>/dev/null',
    '# As systemd-sysctl does at boot: the settings an image keeps in /etc/sysctl.d.',
    'for f in /etc/sysctl.d/*.conf; do [ -f "$f" ] && sysctl -p "$f" >/dev/null 2>&1; done',
    'echo "local-vm: init started" > /dev/ttyS0',
    ...(options.boot ?? []),
    ...(options.agent === false ? [] : ['/usr/sbin/local-vm-agent > /dev/ttyS0 2>&1 &']),
    'echo "local-vm: boot finished" > /dev/ttyS0',
    'while true; do sleep 3600; done',
    '',
  ].join('\n');
}

/** Builds the image; returns the raw ext4 file and a fixed VHD of it (what ConvertDisk uploads). */
export function makeTestImage(
  workDir: string,
  name: string,
  options: TestImageOptions = {},
): { raw: string; vhd: string } {
  const busybox = busyboxPath();
  if (!busybox) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  const root = path.join(workDir, `${name}-root`);
  fs.rmSync(root, { recursive: true, force: true });
  for (const d of [
    'bin',
    'sbin',
    'usr/bin',
    'usr/sbin',
    'etc',
    'proc',
    'sys',
    'dev',
    'run',
    'tmp',
    'root',
    'var/log',
  ])
    fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'busybox') continue;
    const link = path.join(root, 'bin', applet);
    if (!fs.existsSync(link)) fs.symlinkSync('busybox', link);
  }
  fs.writeFileSync(path.join(root, 'sbin/init'), initScript(options), { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\n');
  if (options.agent !== false) fs.copyFileSync(AGENT_SCRIPT, path.join(root, 'usr/sbin/local-vm-agent'));
  if (options.agent !== false) fs.chmodSync(path.join(root, 'usr/sbin/local-vm-agent'), 0o755);
  for (const [file, spec] of Object.entries(options.files ?? {})) {
    const target = path.join(root, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    fs.writeFileSync(target, content);
    // chmod, not the write's mode: that one is cut by the umask, and a test may want 0666 on purpose.
    fs.chmodSync(target, mode ?? 0o644);
  }
  const sizeBytes = (options.sizeMiB ?? 64) * 1024 * 1024;
  const raw = path.join(workDir, `${name}.raw`);
  fs.rmSync(raw, { force: true });
  fs.writeFileSync(raw, '');
  fs.truncateSync(raw, sizeBytes);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-E', 'root_owner=0:0', '-d', root, raw], {
    stdio: 'pipe',
  });
  const vhd = path.join(workDir, `${name}.vhd`);
  fs.copyFileSync(raw, vhd);
  fs.appendFileSync(vhd, buildFixedFooter(sizeBytes));
  fs.rmSync(root, { recursive: true, force: true });
  return { raw, vhd };
}

/**
 * The test image of a small web server, as a build would leave it: nginx in the dpkg database, a web server
 * started by its init script on port 8080, a login banner, a deploy user in sudo, a default sshd_config. Checks
 * that ask for these pass on it; the same checks fail on an image without them.
 */
export const WEB_SERVER_IMAGE: TestImageOptions = {
  files: {
    '/var/lib/dpkg/status':
      'Package: nginx\nStatus: install ok installed\nVersion: 1.24.0-2\n\nPackage: removed-tool\nStatus: deinstall ok config-files\nVersion: 9.9\n',
    '/etc/init.d/httpd': {
      content: '#!/bin/sh\nmkdir -p /srv/www\nexec httpd -p 8080 -h /srv/www\n',
      mode: 0o755,
    },
    '/etc/motd': 'Authorized use only. Activity is logged.\n',
    '/etc/app/version': 'app 2.3.1\n',
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ndeploy:x:1000:1000::/home/deploy:/bin/sh\n',
    '/etc/group': 'root:x:0:\nsudo:x:27:deploy\ndeploy:x:1000:\n',
    '/etc/ssh/sshd_config': 'Port 22\nPermitRootLogin yes\n#PasswordAuthentication yes\nUsePAM yes\n',
  },
  boot: ['/etc/init.d/httpd'],
};
