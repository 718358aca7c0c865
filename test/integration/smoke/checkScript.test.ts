// The generated Linux check script run inside real booted images: a check passes or fails because of what is in
// the image. One image has what the spec asks for, the other lacks it; both VMs boot once for the whole file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LINUX_BASELINE_CHECKS } from '../../../shared/smoke/baseline';
import { linuxCheckScript } from '../../../shared/smoke/linuxScript';
import { parseCheckResults } from '../../../shared/smoke/results';
import { parseCheckSpec } from '../../../shared/smoke/spec';
import { requireTool } from '../../harness/systemTools';
import { LocalVm } from '../../local-azure/vm/localVm';
import { makeTestImage, WEB_SERVER_IMAGE } from '../../harness/testImage';

const BASELINE_SCRIPT = path.join(__dirname, '../../../shared/builders/baseline/linux.sh');

const SPEC = `
os: linux
checks:
  - name: nginx installed
    package: nginx
    version: ">= 1.24"
  - name: web server running
    service: httpd
    enabled: true
    active: true
  - name: login banner
    file: /etc/motd
    mode: "0644"
    owner: root
    contains: Authorized use only
  - name: web port
    port: 8080
  - name: app version
    command: cat /etc/app/version
    output: "^app 2\\\\."
  - name: no IP forwarding
    sysctl: net.ipv4.ip_forward
    value: 0
  - name: deploy user
    user: deploy
    groups: [sudo]
  - name: no telnet user
    user: telnet
    present: false
  - name: a check that exits the shell does not stop the others
    command: exit 7
    exitCode: 7
`;

describe('the Linux check script inside booted images (local VM)', function () {
  this.timeout(180_000);
  let dir: string;
  let good: LocalVm;
  let bad: LocalVm;
  const spec = parseCheckSpec('checksPath', 'smoke.yml', SPEC);
  const script = linuxCheckScript(spec.checks);

  before(async function () {
    requireTool(this, 'qemu-system-x86_64');
    requireTool(this, 'busybox');
    requireTool(this, 'linux-kernel');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-script-'));
    const goodImage = makeTestImage(dir, 'good', WEB_SERVER_IMAGE);
    const badImage = makeTestImage(dir, 'bad', {
      files: {
        '/etc/motd': { content: 'Welcome!\n', mode: 0o666 },
        '/etc/app/version': 'app 1.9.0\n',
        '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\ntelnet:x:23:23::/:/bin/false\n',
      },
      boot: ['echo 1 > /proc/sys/net/ipv4/ip_forward'],
    });
    [good, bad] = await Promise.all([
      LocalVm.boot({ diskPath: goodImage.vhd, workDir: dir }),
      LocalVm.boot({ diskPath: badImage.vhd, workDir: dir }),
    ]);
    assert.ok(await good.waitForAgent(120_000), good.consoleLog());
    assert.ok(await bad.waitForAgent(120_000), bad.consoleLog());
  });
  after(async () => {
    await Promise.all([good?.stop(), bad?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check on the image that has what the spec asks for', async () => {
    const run = await good.run(script);
    const results = parseCheckResults(spec.checks, run.stdout.toString());
    assert.deepEqual(
      results.filter((r) => r.status !== 'pass').map((r) => `${r.check.name}: ${r.actual}`),
      [],
      run.stderr.toString(),
    );
    assert.equal(run.exitCode, 0);
    assert.equal(
      results[0].actual,
      'installed 1.24.0-2',
      'one version, from the dpkg database of several packages',
    );
    assert.match(results[1].actual, /enabled=yes active=yes/);
  });

  it('the hardening baseline applied in the VM makes the baseline checks pass that failed before', async () => {
    const checks = linuxCheckScript(LINUX_BASELINE_CHECKS);
    const before = parseCheckResults(LINUX_BASELINE_CHECKS, (await good.run(checks)).stdout.toString());
    assert.ok(
      before.some((r) => r.status === 'fail'),
      'an image without the baseline fails some baseline checks',
    );
    const applied = await good.run(fs.readFileSync(BASELINE_SCRIPT, 'utf8'));
    const report = applied.stdout.toString();
    assert.equal(applied.exitCode, 0, report + applied.stderr.toString());
    assert.match(report, /baseline: ssh applied/);
    assert.match(report, /baseline: sysctl applied/);
    assert.match(report, /baseline: upgrades skipped \(no apt-get or dnf\)/, 'what does not apply says so');
    const after = parseCheckResults(LINUX_BASELINE_CHECKS, (await good.run(checks)).stdout.toString());
    assert.deepEqual(
      after.filter((r) => r.status !== 'pass').map((r) => `${r.check.name}: ${r.actual}`),
      [],
    );
    const config = (await good.run('cat /etc/ssh/sshd_config')).stdout.toString();
    assert.match(config, /^PermitRootLogin no$/m);
    assert.match(config, /^PasswordAuthentication no$/m);
    assert.match(config, /^Ciphers chacha20-poly1305@openssh\.com,/m);
  });

  it('fails each check the other image does not meet, and still runs every check', async () => {
    const run = await bad.run(script);
    const results = parseCheckResults(spec.checks, run.stdout.toString());
    const status = Object.fromEntries(results.map((r) => [r.check.name, r.status]));
    assert.deepEqual(status, {
      'nginx installed': 'fail',
      'web server running': 'fail',
      'login banner': 'fail',
      'web port': 'fail',
      'app version': 'fail',
      'no IP forwarding': 'fail',
      'deploy user': 'fail',
      'no telnet user': 'fail',
      'a check that exits the shell does not stop the others': 'pass',
    });
    assert.equal(run.exitCode, 8, 'the exit code counts the checks that did not pass');
    const banner = results.find((r) => r.check.name === 'login banner')!;
    assert.match(banner.actual, /mode=666/);
    assert.match(banner.actual, /does-not-contain/);
    assert.equal(results.find((r) => r.check.name === 'no IP forwarding')!.actual, '1');
  });
});
