import { randomUUID } from 'node:crypto';
import { ArmError, armErrors } from '../errors';
import { resourceBody, type ResourceStore, type StoredResource } from '../store';
import { requiredLocation } from './location';
import { trackedResource } from './tracked';
import type { ResourceTypeSpec } from './types';

/*
 * Microsoft.Network as a smoke-test VM needs it, shaped on the Network spec: virtual networks with subnets
 * (inline in the network and as their own resources), network security groups with Azure's default rules, and
 * network interfaces with a private address from their subnet. What Azure refuses is refused: a subnet outside
 * its network's address space, deleting what is in use (an NSG on a subnet, a subnet with NICs, a NIC on a VM).
 */
type Props = Record<string, unknown>;

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function parseCidr(cidr: string, where: string): { base: number; bits: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m[1].split('.').some((p) => Number(p) > 255) || Number(m[2]) > 32)
    throw armErrors.invalidParameter(`'${cidr}' is not a valid address prefix.`, where);
  const bits = Number(m[2]);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ipToNumber(m[1]) & mask) >>> 0, bits };
}

function inside(inner: { base: number; bits: number }, outer: { base: number; bits: number }): boolean {
  if (inner.bits < outer.bits) return false;
  const mask = outer.bits === 0 ? 0 : (0xffffffff << (32 - outer.bits)) >>> 0;
  return (inner.base & mask) >>> 0 === outer.base;
}

const DEFAULT_RULES = [
  ['AllowVnetInBound', 'Inbound', 'Allow', 65000, 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowAzureLoadBalancerInBound', 'Inbound', 'Allow', 65001, 'AzureLoadBalancer', '*'],
  ['DenyAllInBound', 'Inbound', 'Deny', 65500, '*', '*'],
  ['AllowVnetOutBound', 'Outbound', 'Allow', 65000, 'VirtualNetwork', 'VirtualNetwork'],
  ['AllowInternetOutBound', 'Outbound', 'Allow', 65001, '*', 'Internet'],
  ['DenyAllOutBound', 'Outbound', 'Deny', 65500, '*', '*'],
] as const;

function subnetResource(
  vnetId: string,
  subnet: Props,
  space: { base: number; bits: number }[],
): StoredResource {
  const name = String(subnet.name ?? '');
  const p = ((subnet.properties as Props | undefined) ?? {}) as Props;
  const where = `subnets[${name}].properties.addressPrefix`;
  if (!name) throw armErrors.invalidParameter('Every subnet needs a name.', 'subnets.name');
  const prefix = String(p.addressPrefix ?? '');
  const cidr = parseCidr(prefix, where);
  if (!space.some((s) => inside(cidr, s))) {
    throw new ArmError(
      400,
      'NetcfgInvalidSubnet',
      `Subnet '${name}' is not valid in virtual network '${vnetId.split('/').pop()}': its prefix ${prefix} is outside the address space.`,
    );
  }
  return {
    id: `${vnetId}/subnets/${name}`,
    name,
    type: 'Microsoft.Network/virtualNetworks/subnets',
    properties: {
      addressPrefix: prefix,
      ...(p.networkSecurityGroup ? { networkSecurityGroup: p.networkSecurityGroup } : {}),
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
      provisioningState: 'Succeeded',
    },
    internal: { nextHost: 4 },
  };
}

export function networkProviders(store: ResourceStore): ResourceTypeSpec[] {
  const subnetsOf = (store: ResourceStore, vnetId: string) =>
    store
      .all()
      .filter(
        (r) =>
          r.type === 'Microsoft.Network/virtualNetworks/subnets' &&
          r.id.toLowerCase().startsWith(`${vnetId.toLowerCase()}/subnets/`),
      );
  const nicsOn = (store: ResourceStore, subnetId: string) =>
    store
      .all()
      .filter(
        (r) =>
          r.type === 'Microsoft.Network/networkInterfaces' &&
          ((r.properties.ipConfigurations ?? []) as Props[]).some(
            (c) =>
              String(((c.properties as Props).subnet as Props | undefined)?.id ?? '').toLowerCase() ===
              subnetId.toLowerCase(),
          ),
      );
  const checkNsg = (store: ResourceStore, ref: unknown, where: string) => {
    const id = (ref as { id?: string } | undefined)?.id;
    if (id && !store.get(id))
      throw new ArmError(
        404,
        'InvalidResourceReference',
        `Resource ${id} referenced by ${where} was not found.`,
      );
  };
  const present = (r: StoredResource, extra: Props = {}) => {
    const body = resourceBody(r) as { properties: Props };
    return {
      ...body,
      etag: `W/"${String(r.properties.resourceGuid ?? r.id.length)}"`,
      properties: { ...body.properties, ...extra },
    };
  };

  const virtualNetworks: ResourceTypeSpec = {
    type: 'Microsoft.Network/virtualNetworks',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const prefixes = ((p.addressSpace as Props | undefined)?.addressPrefixes ?? []) as string[];
      if (!prefixes.length)
        throw armErrors.invalidParameter(
          'addressSpace.addressPrefixes needs at least one prefix.',
          'addressSpace',
        );
      const space = prefixes.map((x) => parseCidr(x, 'addressSpace.addressPrefixes'));
      // A PATCH (tags) arrives without subnets: they stay as they are.
      if (ctx.existing && p.subnets === undefined) {
        return { ...ctx.existing, tags: ctx.body.tags as Record<string, string> | undefined };
      }
      const subnets = ((p.subnets ?? []) as Props[]).map((s) => {
        checkNsg(
          ctx.store,
          ((s.properties as Props | undefined) ?? {}).networkSecurityGroup,
          `subnet ${String(s.name)}`,
        );
        return subnetResource(ctx.id, s, space);
      });
      // Subnets are part of the network's body: a PUT without one removes it, unless a NIC still uses it.
      for (const old of ctx.existing ? subnetsOf(ctx.store, ctx.id) : []) {
        if (!subnets.some((s) => s.id.toLowerCase() === old.id.toLowerCase())) {
          if (nicsOn(ctx.store, old.id).length)
            throw new ArmError(
              400,
              'InUseSubnetCannotBeDeleted',
              `Subnet ${old.name} is in use and cannot be deleted.`,
            );
          ctx.store.delete(old.id);
        }
      }
      for (const s of subnets) {
        const kept = ctx.store.get(s.id);
        ctx.store.put({ ...s, internal: kept?.internal ?? s.internal });
      }
      return {
        ...trackedResource(ctx),
        properties: {
          addressSpace: { addressPrefixes: prefixes },
          resourceGuid: (ctx.existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
          enableDdosProtection: false,
          privateEndpointVNetPolicies: 'Disabled',
          virtualNetworkPeerings: [],
        },
      };
    },
    beforeDelete({ resource, store }) {
      for (const subnet of subnetsOf(store, resource.id)) {
        if (nicsOn(store, subnet.id).length)
          throw new ArmError(
            400,
            'InUseSubnetCannotBeDeleted',
            `Subnet ${subnet.name} is in use by a network interface and cannot be deleted.`,
          );
      }
    },
    // Azure shows each subnet inside its network too, as the subnet resource says it.
    present: (r) => present(r, { subnets: subnetsOf(store, r.id).map((s) => resourceBody(s)) }),
  };

  const subnets: ResourceTypeSpec = {
    type: 'Microsoft.Network/virtualNetworks/subnets',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      const vnet = ctx.parent!;
      const space = (((vnet.properties.addressSpace as Props).addressPrefixes ?? []) as string[]).map((x) =>
        parseCidr(x, 'addressSpace'),
      );
      checkNsg(
        ctx.store,
        ((ctx.body.properties as Props | undefined) ?? {}).networkSecurityGroup,
        `subnet ${ctx.name}`,
      );
      const s = subnetResource(vnet.id, { name: ctx.name, properties: ctx.body.properties }, space);
      return { ...s, internal: ctx.existing?.internal ?? s.internal };
    },
    beforeDelete({ resource, store }) {
      if (nicsOn(store, resource.id).length)
        throw new ArmError(
          400,
          'InUseSubnetCannotBeDeleted',
          `Subnet ${resource.name} is in use by a network interface and cannot be deleted.`,
        );
    },
    present: (r) => present(r),
  };

  const networkSecurityGroups: ResourceTypeSpec = {
    type: 'Microsoft.Network/networkSecurityGroups',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const rules = ((p.securityRules ?? []) as Props[]).map((rule) => {
        const rp = ((rule.properties as Props | undefined) ?? {}) as Props;
        const priority = Number(rp.priority);
        if (!Number.isInteger(priority) || priority < 100 || priority > 4096)
          throw new ArmError(
            400,
            'SecurityRuleInvalidPriority',
            `Security rule ${String(rule.name)} has invalid priority ${String(rp.priority)}. Value provided: ${String(rp.priority)} Allowed range 100-4096.`,
          );
        return {
          ...rule,
          id: `${ctx.id}/securityRules/${String(rule.name)}`,
          type: 'Microsoft.Network/networkSecurityGroups/securityRules',
          properties: { ...rp, provisioningState: 'Succeeded' },
        };
      });
      return {
        ...trackedResource(ctx),
        properties: {
          securityRules: rules,
          defaultSecurityRules: DEFAULT_RULES.map(
            ([name, direction, access, priority, source, destination]) => ({
              id: `${ctx.id}/defaultSecurityRules/${name}`,
              name,
              type: 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules',
              properties: {
                description: `Default rule ${name}`,
                protocol: '*',
                sourcePortRange: '*',
                destinationPortRange: '*',
                sourceAddressPrefix: source,
                destinationAddressPrefix: destination,
                access,
                priority,
                direction,
                provisioningState: 'Succeeded',
              },
            }),
          ),
          resourceGuid: (ctx.existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
        },
      };
    },
    beforeDelete({ resource, store }) {
      const user = store
        .all()
        .find(
          (r) =>
            (r.type === 'Microsoft.Network/virtualNetworks/subnets' ||
              r.type === 'Microsoft.Network/networkInterfaces') &&
            String((r.properties.networkSecurityGroup as Props | undefined)?.id ?? '').toLowerCase() ===
              resource.id.toLowerCase(),
        );
      if (user)
        throw new ArmError(
          400,
          'InUseNetworkSecurityGroupCannotBeDeleted',
          `Network security group ${resource.id} cannot be deleted because it is in use by ${user.id}.`,
        );
    },
    present: (r) => present(r),
  };

  const networkInterfaces: ResourceTypeSpec = {
    type: 'Microsoft.Network/networkInterfaces',
    asyncCreate: true,
    asyncDelete: true,
    write(ctx) {
      const p = ((ctx.body.properties as Props | undefined) ?? {}) as Props;
      const configs = (p.ipConfigurations ?? []) as Props[];
      if (!configs.length)
        throw armErrors.invalidParameter(
          'A network interface needs an IP configuration.',
          'ipConfigurations',
        );
      checkNsg(ctx.store, p.networkSecurityGroup, 'the network interface');
      const location = requiredLocation(ctx);
      const ipConfigurations = configs.map((c, k) => {
        const cp = ((c.properties as Props | undefined) ?? {}) as Props;
        const subnetId = String((cp.subnet as Props | undefined)?.id ?? '');
        const subnet = ctx.store.get(subnetId);
        if (!subnet)
          throw new ArmError(
            404,
            'InvalidResourceReference',
            `Resource ${subnetId} referenced by resource ${ctx.id} was not found.`,
          );
        const vnet = ctx.store.get(subnetId.slice(0, subnetId.toLowerCase().indexOf('/subnets/')));
        if (vnet?.location !== location)
          throw armErrors.invalidParameter(
            `Subnet ${subnet.name} is in '${String(vnet?.location)}'; the network interface is in '${location}'.`,
            'ipConfigurations.subnet',
          );
        if (cp.publicIPAddress)
          throw new ArmError(
            400,
            'NotImplementedInLocalAzure',
            'The local Azure has no public IP addresses.',
          );
        const previous = ((ctx.existing?.properties.ipConfigurations ?? []) as Props[])[k];
        let address = (previous?.properties as Props | undefined)?.privateIPAddress as string | undefined;
        if (!address) {
          const cidr = parseCidr(String(subnet.properties.addressPrefix), 'addressPrefix');
          const host = Number(subnet.internal?.nextHost ?? 4);
          subnet.internal = { ...subnet.internal, nextHost: host + 1 };
          const n = cidr.base + host;
          address = [24, 16, 8, 0].map((sh) => (n >>> sh) & 255).join('.');
        }
        return {
          id: `${ctx.id}/ipConfigurations/${String(c.name ?? `ipconfig${k + 1}`)}`,
          name: String(c.name ?? `ipconfig${k + 1}`),
          type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
          properties: {
            privateIPAddress: address,
            privateIPAllocationMethod: 'Dynamic',
            privateIPAddressVersion: 'IPv4',
            subnet: { id: subnet.id },
            primary: k === 0,
            provisioningState: 'Succeeded',
          },
        };
      });
      return {
        id: ctx.id,
        name: ctx.name,
        type: '',
        location,
        tags: ctx.body.tags as Record<string, string> | undefined,
        properties: {
          ipConfigurations,
          ...(p.networkSecurityGroup ? { networkSecurityGroup: p.networkSecurityGroup } : {}),
          enableAcceleratedNetworking: p.enableAcceleratedNetworking === true,
          enableIPForwarding: false,
          resourceGuid: (ctx.existing?.properties.resourceGuid as string | undefined) ?? randomUUID(),
          nicType: 'Standard',
          ...(ctx.existing?.properties.virtualMachine
            ? { virtualMachine: ctx.existing.properties.virtualMachine }
            : {}),
        },
      };
    },
    beforeDelete({ resource }) {
      const vm = (resource.properties.virtualMachine as Props | undefined)?.id;
      if (vm)
        throw new ArmError(
          400,
          'NicInUse',
          `Network Interface ${resource.id} is used by existing resource ${String(vm)}. In order to delete the network interface, it must be dissociated from the resource.`,
        );
    },
    present: (r) => present(r),
  };

  return [virtualNetworks, subnets, networkSecurityGroups, networkInterfaces];
}
