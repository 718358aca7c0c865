import type { Check } from './spec';

/*
 * The hardening baseline's rules as checks, so `baseline: true` in a spec verifies on the booted image what
 * BuildImage's baseline applies. Each rule is documented where the baseline applies it; the version names the
 * rule set both sides follow.
 */
export const BASELINE_VERSION = 'linux-baseline-1';

export const LINUX_BASELINE_CHECKS: Check[] = [
  {
    kind: 'file',
    name: 'baseline: SSH refuses root login',
    file: '/etc/ssh/sshd_config',
    matches: '^[[:space:]]*PermitRootLogin[[:space:]]+no',
  },
  {
    kind: 'file',
    name: 'baseline: SSH refuses passwords',
    file: '/etc/ssh/sshd_config',
    matches: '^[[:space:]]*PasswordAuthentication[[:space:]]+no',
  },
  {
    kind: 'sysctl',
    name: 'baseline: no ICMP redirects accepted',
    sysctl: 'net.ipv4.conf.all.accept_redirects',
    value: '0',
  },
  {
    kind: 'sysctl',
    name: 'baseline: no source-routed packets',
    sysctl: 'net.ipv4.conf.all.accept_source_route',
    value: '0',
  },
  { kind: 'sysctl', name: 'baseline: SYN cookies on', sysctl: 'net.ipv4.tcp_syncookies', value: '1' },
  {
    kind: 'sysctl',
    name: 'baseline: reverse path filtering',
    sysctl: 'net.ipv4.conf.all.rp_filter',
    value: '1',
  },
];

export const WINDOWS_BASELINE_CHECKS: Check[] = [
  { kind: 'service', name: 'baseline: Windows Firewall running', service: 'MpsSvc', active: true },
  { kind: 'service', name: 'baseline: Remote Registry disabled', service: 'RemoteRegistry', enabled: false },
];
