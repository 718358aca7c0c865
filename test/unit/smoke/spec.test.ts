import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { junitXml } from '../../../shared/smoke/junit';
import { linuxCheckScript, shQuote } from '../../../shared/smoke/linuxScript';
import { parseCheckResults } from '../../../shared/smoke/results';
import { parseCheckSpec } from '../../../shared/smoke/spec';
import { windowsCheckScript } from '../../../shared/smoke/windowsScript';

const parse = (text: string) => parseCheckSpec('checksPath', 'checks.yml', text);

describe('smoke check spec', () => {
  it('reads every kind of check, with its kind and the file’s values', () => {
    const spec = parse(`
checks:
  - { name: p, package: nginx, version: ">= 1.24" }
  - { name: s, service: ssh, enabled: true, active: true }
  - { name: f, file: /etc/motd, mode: "0644", owner: root, contains: hello }
  - { name: o, port: 443 }
  - { name: c, command: "uname -r", output: "^6\\\\." }
  - { name: k, sysctl: net.ipv4.ip_forward, value: 0 }
  - { name: u, user: deploy, groups: [sudo] }
  - { name: g, group: admins }
`);
    assert.equal(spec.os, 'linux');
    assert.deepEqual(
      spec.checks.map((c) => c.kind),
      ['package', 'service', 'file', 'port', 'command', 'sysctl', 'user', 'group'],
    );
    assert.equal((spec.checks[5] as { value: string }).value, '0', 'sysctl values are compared as text');
  });

  const bad: [string, string, RegExp][] = [
    [
      'YAML syntax error',
      'checks:\n  - name: a\n    package: [nginx\n',
      /checks\.yml:\d+: YAML syntax error/,
    ],
    [
      'unknown check type',
      'checks:\n  - name: a\n    registry: HKLM\n',
      /checks\.yml:2: unknown check type 'registry'/,
    ],
    ['check without a name', 'checks:\n  - package: nginx\n', /checks\.yml:2: the check has no name/],
    [
      'unknown key (a typo)',
      'checks:\n  - name: a\n    file: /etc/motd\n    contians: x\n',
      /checks\.yml:2: unknown key 'contians'/,
    ],
    [
      'bad file mode',
      'checks:\n  - name: a\n    file: /etc/motd\n    mode: rw-r--r--\n',
      /checks\.yml:4: 'mode' must match/,
    ],
    [
      'port out of range',
      'os: linux\nchecks:\n  - name: a\n    port: 70000\n',
      /checks\.yml:4: 'port' must be <= 65535/,
    ],
    [
      'two subjects in one check',
      'checks:\n  - name: a\n    file: /x\n    port: 22\n',
      /one subject, not file and port/,
    ],
    [
      'duplicate names',
      'checks:\n  - { name: a, port: 22 }\n  - { name: a, port: 23 }\n',
      /checks\.yml:3: two checks are named 'a'/,
    ],
    [
      'Linux checks in a Windows spec',
      'os: windows\nchecks:\n  - name: a\n    sysctl: x\n    value: 1\n',
      /checks\.yml:3: 'sysctl' is a Linux check/,
    ],
    ['unknown os', 'os: macos\nchecks: []\n', /'os' must be equal to one of the allowed values/],
    ['no checks at all', 'checks: []\n', /no checks/],
    ['not a mapping', '- a\n- b\n', /expected a mapping/],
  ];
  for (const [what, text, message] of bad) {
    it(`refuses ${what}, naming the input, the file and the line`, () => {
      assert.throws(
        () => parse(text),
        (e: Error) => {
          assert.match(e.message, /^Input 'checksPath': /);
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }
});

describe('smoke check scripts and results', () => {
  const spec = parse(`
checks:
  - { name: "it's quoted", file: "/etc/o'neil", contains: "a 'b' $HOME \`x\`" }
  - { name: svc, service: sshd, active: true }
  - { name: port, port: 53, protocol: udp }
`);

  it('quotes every value from the spec so the shell expands nothing', () => {
    const script = linuxCheckScript(spec.checks);
    assert.ok(script.includes(shQuote("/etc/o'neil")));
    assert.ok(script.includes(shQuote("a 'b' $HOME `x`")));
    assert.equal(shQuote("a'b"), `'a'\\''b'`);
  });

  it('writes one PowerShell block per check, quoted, each with its own try/catch and result line', () => {
    const script = windowsCheckScript(spec.checks);
    assert.equal((script.match(/^try \{$/gm) ?? []).length, 3);
    assert.ok(script.includes("Test-Path -LiteralPath '/etc/o''neil'"));
    assert.ok(script.includes(".Contains('a ''b'' $HOME `x`')"));
    assert.ok(script.includes("Get-Service -Name 'sshd'"));
    assert.ok(script.includes('Get-NetUDPEndpoint -LocalPort 53'));
    assert.match(script, /exit \[Math\]::Min\(\$failed, 100\)/);
  });

  it('turns result lines into results; a check without a line is an error, never a pass', () => {
    const stdout = [
      'noise',
      '@@smoke\t0\tpass\t12\tpresent contains',
      '@@smoke\t1\tfail\t3\tactive=no',
      '',
    ].join('\n');
    const results = parseCheckResults(spec.checks, stdout);
    assert.deepEqual(
      results.map((r) => [r.status, r.actual, r.durationMs]),
      [
        ['pass', 'present contains', 12],
        ['fail', 'active=no', 3],
        ['error', 'no result: the check script stopped before this check', 0],
      ],
    );
    assert.equal(results[1].expected, 'service sshd active');
  });

  it('writes JUnit XML with a failure or error per check that did not pass, escaped', () => {
    const results = parseCheckResults(
      spec.checks,
      '@@smoke\t0\tpass\t12\tok\n@@smoke\t1\tfail\t3\t<active=no & "x">\n',
    );
    const xml = junitXml('SmokeTestImage', results, { image: '/subscriptions/x' });
    assert.match(xml, /<testsuite name="SmokeTestImage" tests="3" failures="1" errors="1"/);
    assert.match(
      xml,
      /<testcase classname="SmokeTestImage.file" name="it&apos;s quoted|<testcase classname="SmokeTestImage.file" name="it's quoted"/,
    );
    assert.match(
      xml,
      /<failure message="expected service sshd active; found &lt;active=no &amp; &quot;x&quot;&gt;"/,
    );
    assert.match(xml, /<error message="expected udp port 53 listening; found no result/);
    assert.match(xml, /<property name="image" value="\/subscriptions\/x"\/>/);
  });
});

describe('shipped example specs', () => {
  for (const example of ['ubuntu-web.yml', 'windows-iis.yml']) {
    it(`${example} is a valid spec and makes its script`, () => {
      const file = path.join(__dirname, '../../../tasks/SmokeTestImage/examples', example);
      const spec = parse(fs.readFileSync(file, 'utf8'));
      assert.ok(spec.checks.length >= 6);
      assert.equal(spec.baseline, true);
      const script = spec.os === 'linux' ? linuxCheckScript(spec.checks) : windowsCheckScript(spec.checks);
      assert.equal((script.match(/@@smoke|Write-Result \d+/g) ?? []).length > 0, true);
    });
  }
});
