import { parseResourceId } from '../../azure/resourceId';
import { InputError } from '../../validation/inputError';
import type { BuildRequest } from '../buildRequest';
import type { Customization } from '../customizations';

/** How packer signs in: only through environment variables the task sets for its process (never a file). */
export type PackerAuth = 'secret' | 'jwt' | 'managedIdentity';

export interface BuiltinTemplateOptions {
  request: BuildRequest;
  auth: PackerAuth;
  /** The steps to run, baseline included, as files on the agent. */
  steps: Customization[];
  /** The exact gallery version to make (packer needs one), when the target is a gallery. */
  galleryVersion?: string;
  /** Packer 1.7+ reads `required_plugins` and needs `packer init`; older ones have the azure builder built in. */
  requiredPlugins: boolean;
  tags: Record<string, string>;
}

/** An HCL string literal: quotes, backslashes and template sequences escaped. */
function str(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

function attr(name: string, value: string | number | boolean | undefined, indent = '  '): string[] {
  if (value === undefined || value === '') return [];
  const v = typeof value === 'string' ? str(value) : String(value);
  return [`${indent}${name} = ${v}`];
}

const CREDENTIAL_VARIABLES: Record<PackerAuth, string[]> = {
  secret: ['client_id', 'client_secret', 'tenant_id', 'subscription_id'],
  jwt: ['client_id', 'client_jwt', 'tenant_id', 'subscription_id'],
  managedIdentity: ['subscription_id'],
};

/** The environment variable each credential variable reads (PKR_VAR_* would work as well; env() is explicit). */
export const CREDENTIAL_ENV: Record<string, string> = {
  client_id: 'ARM_CLIENT_ID',
  client_secret: 'ARM_CLIENT_SECRET',
  client_jwt: 'ARM_CLIENT_JWT',
  tenant_id: 'ARM_TENANT_ID',
  subscription_id: 'ARM_SUBSCRIPTION_ID',
};

function sourceAttributes(request: BuildRequest): string[] {
  const s = request.source;
  switch (s.kind) {
    case 'platform':
      return [
        ...attr('image_publisher', s.publisher),
        ...attr('image_offer', s.offer),
        ...attr('image_sku', s.sku),
        ...(s.version.toLowerCase() === 'latest' ? [] : attr('image_version', s.version)),
      ];
    case 'managedImage': {
      const id = parseResourceId(s.id, { input: 'sourceImage' });
      return [
        ...attr('custom_managed_image_name', id.names[0]),
        ...attr('custom_managed_image_resource_group_name', id.resourceGroup),
      ];
    }
    case 'galleryVersion': {
      const id = parseResourceId(s.id, { input: 'sourceImage' });
      return [
        '  shared_image_gallery {',
        ...attr('subscription', id.subscriptionId, '    '),
        ...attr('resource_group', id.resourceGroup, '    '),
        ...attr('gallery_name', id.names[0], '    '),
        ...attr('image_name', id.names[1], '    '),
        ...attr('image_version', id.names[2], '    '),
        '  }',
      ];
    }
  }
}

function targetAttributes(options: BuiltinTemplateOptions): string[] {
  const { request } = options;
  const d = request.distribution;
  const lines: string[] = [];
  if (d.managedImageId) {
    const id = parseResourceId(d.managedImageId, {
      input: 'targetManagedImageId',
      expectedType: 'Microsoft.Compute/images',
    });
    lines.push(
      ...attr('managed_image_name', id.names[0]),
      ...attr('managed_image_resource_group_name', id.resourceGroup),
    );
  }
  if (d.galleryImageId) {
    const id = parseResourceId(d.galleryImageId, { input: 'targetImageVersionId' });
    const version = id.names[2] ?? options.galleryVersion;
    if (!version) throw new Error('a gallery target needs a version number for packer');
    // Packer publishes to a gallery through a managed image; name one after the version when none is asked for.
    if (!d.managedImageId)
      lines.push(
        ...attr('managed_image_name', `${id.names[1]}-${version}`),
        ...attr('managed_image_resource_group_name', request.resourceGroup),
      );
    lines.push(
      '  shared_image_gallery_destination {',
      ...attr('subscription', id.subscriptionId, '    '),
      ...attr('resource_group', id.resourceGroup, '    '),
      ...attr('gallery_name', id.names[0], '    '),
      ...attr('image_name', id.names[1], '    '),
      ...attr('image_version', version, '    '),
      `    replication_regions = [${(d.replicationRegions.length ? d.replicationRegions : [request.location]).map(str).join(', ')}]`,
      '  }',
    );
  }
  if (!d.managedImageId && !d.galleryImageId)
    throw new InputError(
      'targetImageVersionId',
      'the built-in Packer template needs a target: a gallery image (targetImageVersionId) or a managed image (targetManagedImageId)',
    );
  return lines;
}

function networkAttributes(request: BuildRequest): string[] {
  if (!request.subnetId) return attr('location', request.location);
  const subnet = parseResourceId(request.subnetId, { input: 'subnetId' });
  // With a subnet the build runs in the given resource group (no temporary group, no public IP).
  return [
    ...attr('build_resource_group_name', request.resourceGroup),
    ...attr('virtual_network_name', subnet.names[0]),
    ...attr('virtual_network_subnet_name', subnet.names[1]),
    ...attr('virtual_network_resource_group_name', subnet.resourceGroup),
    ...attr('private_virtual_network_with_public_ip', false),
  ];
}

function provisioner(step: Customization, linux: boolean): string[] {
  switch (step.kind) {
    case 'shell':
      return [
        '  provisioner "shell" {',
        ...attr('script', step.path, '    '),
        ...attr('execute_command', "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'", '    '),
        '  }',
      ];
    case 'powershell':
      return ['  provisioner "powershell" {', ...attr('script', step.path, '    '), '  }'];
    case 'file': {
      // The file lands in a temporary path the build user can write, then moves into place as root.
      const staging = linux ? `/tmp/vm-image-lifecycle-${step.name}` : `C:\\Windows\\Temp\\${step.name}`;
      return [
        '  provisioner "file" {',
        ...attr('source', step.path, '    '),
        ...attr('destination', staging, '    '),
        '  }',
        ...(linux
          ? [
              '  provisioner "shell" {',
              `    inline = [${str(`sudo mkdir -p "$(dirname '${step.destination}')" && sudo mv '${staging}' '${step.destination}'`)}]`,
              '  }',
            ]
          : [
              '  provisioner "powershell" {',
              `    inline = [${str(`Move-Item -Force '${staging}' '${step.destination}'`)}]`,
              '  }',
            ]),
      ];
    }
    case 'restart':
      return ['  provisioner "windows-restart" {', '    restart_timeout = "15m"', '  }'];
    case 'windowsUpdate':
      throw new InputError(
        'customizationScripts',
        `'windows-update' needs the windows-update Packer plugin, which the built-in template does not use; run Windows Update from a .ps1 step or your own template`,
      );
  }
}

/** The last step of every built-in build: generalize the VM so the image can make new VMs. */
function generalize(linux: boolean): string[] {
  return linux
    ? [
        '  provisioner "shell" {',
        ...attr('execute_command', "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'", '    '),
        '    inline = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]',
        '    inline_shebang = "/bin/sh -x"',
        '  }',
      ]
    : [
        '  provisioner "powershell" {',
        '    inline = [',
        `      ${str('& $env:SystemRoot\\System32\\Sysprep\\Sysprep.exe /oobe /generalize /quiet /quit /mode:vm')},`,
        `      ${str("while ($true) { $s = Get-ItemProperty HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State | Select-Object ImageState; if ($s.ImageState -ne 'IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE') { Start-Sleep -Seconds 10 } else { break } }")},`,
        '    ]',
        '  }',
      ];
}

/**
 * The built-in azure-arm template (HCL2) for a request: source, target (managed image and/or gallery version),
 * network, the steps as provisioners and a final generalization. Credentials are variables read from the
 * environment the task gives packer; the template itself holds no secret, so it may be written to disk.
 */
export function builtinPackerTemplate(options: BuiltinTemplateOptions): string {
  const { request } = options;
  const linux = request.osType === 'Linux';
  const variables = CREDENTIAL_VARIABLES[options.auth];
  const lines: string[] = [
    '# Generated by VM Image Lifecycle (BuildImage). Credentials come from the environment, never from a file.',
  ];
  if (options.requiredPlugins)
    lines.push(
      'packer {',
      '  required_plugins {',
      '    azure = {',
      '      source  = "github.com/hashicorp/azure"',
      '      version = ">= 2.0.0"',
      '    }',
      '  }',
      '}',
      '',
    );
  for (const v of variables)
    lines.push(
      `variable ${str(v)} {`,
      '  type      = string',
      `  default   = env(${str(CREDENTIAL_ENV[v])})`,
      ...(v === 'client_secret' || v === 'client_jwt' ? ['  sensitive = true'] : []),
      '}',
      '',
    );
  lines.push(
    'source "azure-arm" "image" {',
    ...variables.map((v) => `  ${v} = var.${v}`),
    ...attr('os_type', request.osType),
    ...sourceAttributes(request),
    ...networkAttributes(request),
    ...attr('vm_size', request.vmSize),
    ...attr('os_disk_size_gb', request.osDiskSizeGB),
    ...targetAttributes(options),
    // The temporary resource group goes without waiting for its deletion, so a cancelled build ends in time.
    ...attr('async_resourcegroup_delete', true),
    ...(linux
      ? []
      : [
          ...attr('communicator', 'winrm'),
          ...attr('winrm_use_ssl', true),
          ...attr('winrm_insecure', true),
          ...attr('winrm_timeout', '10m'),
          ...attr('winrm_username', 'packer'),
        ]),
    '  azure_tags = {',
    ...Object.entries(options.tags).map(([k, v]) => `    ${str(k)} = ${str(v)}`),
    '  }',
    '}',
    '',
    'build {',
    '  sources = ["source.azure-arm.image"]',
    ...options.steps.flatMap((s) => provisioner(s, linux)),
    ...generalize(linux),
    '}',
    '',
  );
  return lines.join('\n');
}
