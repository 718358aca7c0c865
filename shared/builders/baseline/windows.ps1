# VM Image Lifecycle hardening baseline for Windows images, version windows-baseline-1 (rules: rules.md beside
# this file). Windows PowerShell 5.1, run elevated during an image build; one line per rule, exit code = rules
# that could not be applied.
$ErrorActionPreference = 'Stop'
$failed = 0
function Apply([string]$Rule, [scriptblock]$Do) {
  try { & $Do; Write-Output "baseline: $Rule applied" } catch { Write-Output "baseline: $Rule failed ($($_.Exception.Message))"; $script:failed++ }
}
Apply 'firewall' { Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True -DefaultInboundAction Block -DefaultOutboundAction Allow }
Apply 'remote-registry' { Stop-Service RemoteRegistry -Force -ErrorAction SilentlyContinue; Set-Service RemoteRegistry -StartupType Disabled }
Apply 'smb1' { Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force }
Apply 'tls' {
  foreach ($p in 'TLS 1.0', 'TLS 1.1') {
    $key = "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\$p\Server"
    New-Item -Path $key -Force | Out-Null
    New-ItemProperty -Path $key -Name Enabled -Value 0 -PropertyType DWord -Force | Out-Null
  }
}
Apply 'guest' { Disable-LocalUser -Name Guest }
exit $failed
