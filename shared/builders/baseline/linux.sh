#!/bin/sh
# VM Image Lifecycle hardening baseline for Linux images, version linux-baseline-1 (rules: rules.md beside this
# file). POSIX sh, run as root during an image build. Each rule is applied on its own and reported on one line,
# "baseline: <rule> applied|skipped (<why>)"; the script fails only when a rule that applies cannot be applied.
# SmokeTestImage's `baseline: true` checks the same rules on the booted image.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH LC_ALL=C
failed=0
report() { echo "baseline: $1 $2${3:+ ($3)}"; }
have() { command -v "$1" >/dev/null 2>&1; }

# Sets "Key value" in sshd_config: replaces every active or commented line of the key, else appends it.
sshd_set() {
  f=/etc/ssh/sshd_config
  if grep -Eq "^[#[:space:]]*$1[[:space:]]" "$f"; then
    sed -i -E "s|^[#[:space:]]*$1[[:space:]].*|$1 $2|" "$f"
  else
    echo "$1 $2" >> "$f"
  fi
}

# SSH-1..3: no root login, no passwords (keys only), modern ciphers, MACs and key exchange only.
if [ -f /etc/ssh/sshd_config ]; then
  sshd_set PermitRootLogin no &&
    sshd_set PasswordAuthentication no &&
    sshd_set KbdInteractiveAuthentication no &&
    sshd_set Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr &&
    sshd_set MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com &&
    sshd_set KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512 &&
    report ssh applied || { report ssh failed; failed=$((failed + 1)); }
else
  report ssh skipped "no /etc/ssh/sshd_config"
fi

# NET-1..5: kernel network hardening, kept across reboots in /etc/sysctl.d and applied now.
conf=/etc/sysctl.d/99-vm-image-lifecycle-baseline.conf
mkdir -p /etc/sysctl.d
cat > "$conf" <<'SYSCTL'
# VM Image Lifecycle hardening baseline (linux-baseline-1)
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.all.accept_source_route = 0
net.ipv4.conf.default.accept_source_route = 0
net.ipv4.conf.all.rp_filter = 1
net.ipv4.tcp_syncookies = 1
net.ipv4.icmp_echo_ignore_broadcasts = 1
SYSCTL
if have sysctl && sysctl -p "$conf" >/dev/null 2>&1; then report sysctl applied; else
  # Without sysctl(8), write the values straight to /proc/sys.
  ok=1
  grep -E '^[a-z]' "$conf" | while IFS='= ' read -r key value; do
    echo "$value" > "/proc/sys/$(echo "$key" | tr . /)" 2>/dev/null || exit 1
  done || ok=0
  if [ $ok = 1 ]; then report sysctl applied "through /proc/sys"; else report sysctl failed; failed=$((failed + 1)); fi
fi

# UPD-1: unattended security upgrades (Debian/Ubuntu: unattended-upgrades; RHEL family: dnf-automatic).
if have apt-get; then
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q unattended-upgrades >/dev/null &&
    printf 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n' > /etc/apt/apt.conf.d/20auto-upgrades &&
    report upgrades applied; } || { report upgrades failed; failed=$((failed + 1)); }
elif have dnf; then
  { dnf install -y -q dnf-automatic >/dev/null && sed -i 's/^apply_updates.*/apply_updates = yes/' /etc/dnf/automatic.conf &&
    systemctl enable dnf-automatic.timer >/dev/null 2>&1 && report upgrades applied; } || { report upgrades failed; failed=$((failed + 1)); }
else
  report upgrades skipped "no apt-get or dnf"
fi

# AUD-1: auditd installed and enabled.
if have apt-get || have dnf; then
  { { have apt-get && DEBIAN_FRONTEND=noninteractive apt-get install -y -q auditd >/dev/null; } ||
    { have dnf && dnf install -y -q audit >/dev/null; }; } &&
    { systemctl enable auditd >/dev/null 2>&1 || true; } && report auditd applied || { report auditd failed; failed=$((failed + 1)); }
else
  report auditd skipped "no package manager"
fi

# FW-1: host firewall, default deny inbound, SSH allowed (ufw, firewalld or plain nftables).
if have ufw; then
  { ufw default deny incoming >/dev/null && ufw default allow outgoing >/dev/null && ufw allow OpenSSH >/dev/null &&
    ufw --force enable >/dev/null && report firewall applied "ufw"; } || { report firewall failed; failed=$((failed + 1)); }
elif have firewall-cmd; then
  { firewall-cmd --permanent --set-default-zone=drop >/dev/null && firewall-cmd --permanent --zone=drop --add-service=ssh >/dev/null &&
    report firewall applied "firewalld"; } || { report firewall failed; failed=$((failed + 1)); }
elif have nft; then
  { nft -f - <<'NFT'
table inet vm_image_lifecycle_baseline {
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    iif lo accept
    tcp dport 22 accept
    meta l4proto { icmp, ipv6-icmp } accept
  }
}
NFT
  } && report firewall applied "nftables" || { report firewall failed; failed=$((failed + 1)); }
else
  report firewall skipped "no ufw, firewalld or nft"
fi

exit "$failed"
