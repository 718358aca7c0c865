import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArmRouter } from './arm/armRouter';
import { REGION_NAMES } from './arm/regions';
import type { DeliveryTargets } from './eventgrid/delivery';
import { LocalEventGrid } from './eventgrid/localEventGrid';
import { eventGridProviders } from './eventgrid/provider';
import { FaultInjector } from './arm/faults';
import { galleryVersionsProvider, type ReplicationControl } from './arm/providers/galleryVersions';
import { virtualMachinesProvider } from './arm/providers/virtualMachines';
import { runCommandsProvider } from './arm/providers/runCommands';
import { resourceSkus } from './arm/providers/vmSizes';
import { VmHost } from './vm/vmHost';
import { userAssignedIdentitiesProvider } from './arm/providers/identities';
import { imageTemplatesProvider } from './imagebuilder/imageTemplates';
import { PlatformImages } from './imagebuilder/platformImages';
import { disksProvider, type DiskBlobs, type LocalStorageAccount } from './arm/providers/disks';
import { galleries, galleryImages } from './arm/providers/gallery';
import { imagesProvider } from './arm/providers/images';
import { networkProviders } from './arm/providers/network';
import { storageAccountResource, storageAccountsProvider } from './arm/providers/storageAccounts';
import { startAzurite, type AzuriteInstance } from './azurite';
import { startBlobFaultProxy, type BlobFaultProxy } from './blobFaultProxy';
import { makeSelfSignedCertificate } from './certs';
import { LocalDevOps } from './devops';
import { LocalEntra } from './entra';
import { httpFront, listen, type FrontOptions, type RecordedExchange } from './front';

export type { RecordedExchange } from './front';
import type { RouteHandler } from './http';

export interface LocalAzureOptions {
  persistence?: 'memory' | 'disk';
  /** Duration of every long-running operation unless a provider sets its own. */
  operationDelayMs?: number;
  /** Retry-After on long-running answers; 0 (default) sends none so clients poll at their own interval. */
  retryAfterSeconds?: number;
  /** Start Azurite too (default true). */
  blob?: boolean;
  /** Keep every ARM request and answer for spec validation. */
  record?: boolean;
  /** How long a cross-region (CopyStart) snapshot copy takes (default 500 ms). */
  crossRegionCopyMs?: number;
  /** Start Azurite's queue service too (Event Grid storage-queue delivery). */
  queue?: boolean;
  /** How long each target region of a gallery image version takes to replicate (default 60 ms). */
  replicationRegionMs?: number;
  /**
   * Hand out blob URLs (disk access SAS) through a front that counts every byte, so a test can prove what a
   * client moved itself; the local Azure's own copies go to Azurite directly, as Azure's do inside the service.
   */
  blobFront?: boolean;
  /**
   * Azurite over HTTPS (the local Azure's certificate) accepting Entra ID tokens, so user delegation SAS and
   * token-authorized copies work; clients must trust `caCertPem` (the tasks get NODE_EXTRA_CA_CERTS).
   */
  blobOAuth?: boolean;
}

/** One resource as the audit sees it: what a leak check needs, beyond what ARM's GET shows. */
export interface AuditEntry {
  id: string;
  type: string;
  provisioningState?: string;
  /** Managed disks: ReadyToUpload, ActiveUpload, ActiveSAS, Unattached, ... */
  diskState?: string;
  /** A disk or snapshot whose access SAS (read or write) is still valid. */
  openAccess?: boolean;
}

export interface LocalAzure {
  armUrl: string;
  /** Token audience ARM accepts (armUrl with a trailing slash). */
  audience: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  secondSubscriptionId: string;
  /** Another Entra ID tenant (a partner company) and its subscription: cross-tenant copies go there. */
  secondTenantId: string;
  foreignSubscriptionId: string;
  caCertPem: string;
  caCertPath: string;
  imdsUrl: string;
  oidcRequestUri: string;
  blob?: AzuriteInstance;
  /** The counting (and fault-injecting) front of the blob URLs handed out, with `blobFront: true`. */
  blobFront?: BlobFaultProxy;
  principals: {
    secret: { clientId: string; clientSecret: string };
    certificate: { clientId: string; certificatePem: string };
    federated: { clientId: string };
    managedIdentity: { clientId: string };
    systemAccessToken: string;
  };
  entra: LocalEntra;
  /** Event Grid's data plane and deliveries (topics, system topics, webhooks, Azurite queues). */
  eventGrid: LocalEventGrid;
  /** The local Azure's own certificate and key: a test's webhook served with them is trusted by its deliveries. */
  serverTls: { cert: string; key: string };
  devops: LocalDevOps;
  arm: ArmRouter;
  faults: FaultInjector;
  /** Gallery image version replication: how long a region takes, and regions made to fail. */
  replication: ReplicationControl;
  requests: { method: string; path: string; status: number }[];
  recorded: RecordedExchange[];
  /** ARM id of an Azurite account as the local Azure places it (see storageAccounts). */
  storageAccountId(name: string): string;
  /** Where a disk's bytes live (an Azurite page blob), for tests that compare content. */
  diskBlobUrl(diskId: string): string | undefined;
  /** A resource group the test's user already has (a fixture, left out of `audit({ created: true })`). */
  resourceGroup(name: string, location?: string, subscriptionId?: string): string;
  /** The local Marketplace: platform images (publisher:offer:sku:version) that Image Builder builds from. */
  platformImages: PlatformImages;
  /** Every resource that exists now; `created` leaves out what the local Azure made itself at start. */
  audit(options?: { created?: boolean }): AuditEntry[];
  stop(): Promise<void>;
}

/**
 * Starts the local Azure: one HTTPS server for ARM, Entra ID and the Azure DevOps OIDC endpoint (routed by
 * path), a plain-HTTP IMDS for managed identity, and Azurite for blobs. Everything on loopback, free ports.
 */
export async function startLocalAzure(options: LocalAzureOptions = {}): Promise<LocalAzure> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-azure-'));
  const serverCert = makeSelfSignedCertificate(
    dir,
    'server',
    '/CN=local-azure',
    'IP:127.0.0.1,DNS:localhost',
  );
  const spCert = makeSelfSignedCertificate(dir, 'sp', '/CN=vm-image-lifecycle-test-sp');
  let baseUrl = '';
  const faults = new FaultInjector();
  const entra = new LocalEntra(() => baseUrl);
  const devops = new LocalDevOps(() => baseUrl);
  const subscriptionId = randomUUID();
  const secondSubscriptionId = randomUUID();
  const foreignSubscriptionId = randomUUID();
  const arm = new ArmRouter({
    baseUrl: () => baseUrl,
    entra,
    faults,
    subscriptions: [
      { id: subscriptionId, displayName: 'Local Azure images' },
      { id: secondSubscriptionId, displayName: 'Local Azure consumers' },
      { id: foreignSubscriptionId, displayName: 'Partner company', tenantId: entra.secondTenantId },
    ],
    audiences: () => [`${baseUrl}/`],
    operationDelayMs: options.operationDelayMs ?? 30,
    retryAfterSeconds: options.retryAfterSeconds ?? 0,
    locations: REGION_NAMES,
    onResourceEvent: (kind, resource) => eventGrid.resourceEvent(kind, resource, entra.tenantId),
  });
  arm.register(galleries);
  arm.register(galleryImages);
  const replication: ReplicationControl = {
    regionMs: options.replicationRegionMs ?? 60,
    failingRegions: new Map(),
  };
  arm.register(galleryVersionsProvider(replication, REGION_NAMES, () => diskBlobs));
  arm.register(resourceSkus);
  for (const spec of networkProviders(arm.store)) arm.register(spec);
  // Assigned once Azurite is up (below); the Event Grid delivery targets above read it when they deliver.
  // eslint-disable-next-line prefer-const
  let blob: AzuriteInstance | undefined;
  // Each Azurite account is a storage account in a subscription of its own: the first in the images
  // subscription, the second in the consumers subscription (for cross-subscription imports and copies).
  const storageAccounts = (azurite: AzuriteInstance): LocalStorageAccount[] =>
    azurite.accounts.map((a, i) => ({
      ...a,
      id: `/subscriptions/${i === 0 ? subscriptionId : secondSubscriptionId}/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/${a.name}`,
    }));
  const deliveryTargets: DeliveryTargets = {
    ca: serverCert.certPem,
    storageAccounts: () => (blob ? storageAccounts(blob) : []),
    queueEndpoint: (account) => {
      if (!blob?.queueEndpoint)
        throw new Error('Azurite was started without its queue service (queue: true)');
      return blob.queueEndpoint(account);
    },
  };
  for (const spec of eventGridProviders(() => baseUrl, deliveryTargets)) arm.register(spec);
  const eventGrid = new LocalEventGrid(arm.store, entra, deliveryTargets);

  const principals = {
    secret: { clientId: randomUUID(), clientSecret: `${randomBytes(18).toString('base64url')}~Q8` },
    certificate: { clientId: randomUUID(), certificatePem: `${spCert.certPem}${spCert.keyPem}` },
    federated: { clientId: randomUUID() },
    managedIdentity: { clientId: randomUUID() },
    systemAccessToken: devops.jobAccessToken,
  };
  entra.addSecretPrincipal(principals.secret.clientId, principals.secret.clientSecret);
  entra.addCertificatePrincipal(principals.certificate.clientId, spCert.certPem);
  entra.addManagedIdentity(principals.managedIdentity.clientId);
  entra.addManagedIdentity(entra.systemAssignedIdentity);

  const requests: LocalAzure['requests'] = [];
  const recorded: RecordedExchange[] = [];
  const metadata: RouteHandler = (req) =>
    req.url.pathname === '/metadata/endpoints'
      ? {
          status: 200,
          body: {
            galleryEndpoint: '',
            graphEndpoint: '',
            portalEndpoint: '',
            authentication: { loginEndpoint: entra.authorityHost, audiences: [`${baseUrl}/`] },
          },
        }
      : undefined;
  const routes: RouteHandler[] = [
    devops.handle,
    devops.handleApi,
    entra.handle,
    metadata,
    eventGrid.handle,
    (req) => arm.handle(req),
  ];
  const front: FrontOptions = {
    faults,
    requests,
    recorded: options.record ? recorded : undefined,
    baseUrl: () => baseUrl,
  };

  const server = https.createServer(
    { cert: serverCert.certPem, key: serverCert.keyPem },
    httpFront(routes, front),
  );
  const imds = http.createServer(httpFront([entra.handleImds], front));
  const port = await listen(server);
  const imdsPort = await listen(imds);
  baseUrl = `https://127.0.0.1:${port}`;
  blob =
    options.blob === false
      ? undefined
      : await startAzurite({
          persistence: options.persistence,
          queue: options.queue,
          tls: options.blobOAuth ? serverCert : undefined,
        });
  let diskBlobs: DiskBlobs | undefined;
  let blobFront: BlobFaultProxy | undefined;
  if (blob) {
    if (options.blobFront) {
      blobFront = await startBlobFaultProxy(
        blob.port,
        options.blobOAuth
          ? { cert: serverCert.certPem, key: serverCert.keyPem, ca: serverCert.certPem }
          : undefined,
      );
    }
    const front = blobFront;
    const disks = disksProvider(
      blob,
      storageAccounts(blob),
      options.crossRegionCopyMs,
      front ? (account) => front.url(`${blob!.blobEndpoint(account)}/`).replace(/\/$/, '') : undefined,
    );
    arm.register(disks.spec);
    arm.register(disks.snapshots);
    diskBlobs = disks.blobs;
  }
  arm.register(imagesProvider(diskBlobs));
  // VMs boot for real when Azurite holds their disks; without it they exist only as fixtures a test places.
  const vmHost = blob && diskBlobs ? new VmHost(diskBlobs, path.join(dir, 'vms')) : undefined;
  arm.register(
    virtualMachinesProvider(
      blob && diskBlobs && vmHost ? { blobs: diskBlobs, azurite: blob, host: vmHost } : undefined,
    ),
  );
  arm.register(runCommandsProvider(vmHost, blob?.clientOptions));
  arm.register(
    userAssignedIdentitiesProvider(entra.tenantId, (clientId) => entra.addManagedIdentity(clientId)),
  );
  const platformImages = new PlatformImages(() => diskBlobs);
  if (blob && diskBlobs) {
    const azurite = blob;
    for (const spec of imageTemplatesProvider({
      blobs: diskBlobs,
      azurite,
      entra,
      armUrl: () => baseUrl,
      ca: serverCert.certPem,
      workDir: path.join(dir, 'builds'),
      platformImages,
      stagingAccount: {
        name: azurite.accounts[0].name,
        blobEndpoint: blobFront
          ? blobFront.url(`${azurite.blobEndpoint(azurite.accounts[0].name)}/`).replace(/\/$/, '')
          : azurite.blobEndpoint(azurite.accounts[0].name),
      },
    }))
      arm.register(spec);
  }
  if (blob) {
    const azurite = blob;
    arm.register(storageAccountsProvider((name) => azurite.accounts.find((a) => a.name === name)?.key));
    for (const account of storageAccounts(azurite)) {
      const group = account.id.slice(0, account.id.toLowerCase().indexOf('/providers/'));
      arm.store.put({
        id: group,
        name: 'rg-storage',
        type: 'Microsoft.Resources/resourceGroups',
        location: 'westeurope',
        properties: { provisioningState: 'Succeeded' },
        preexisting: true,
      });
      arm.store.put(
        storageAccountResource({
          ...account,
          blobEndpoint: blobFront
            ? blobFront.url(`${azurite.blobEndpoint(account.name)}/`).replace(/\/$/, '')
            : azurite.blobEndpoint(account.name),
          location: 'westeurope',
        }),
      );
    }
  }
  const preexisting = new Set<string>();

  const local: LocalAzure = {
    armUrl: baseUrl,
    audience: `${baseUrl}/`,
    authorityHost: entra.authorityHost,
    tenantId: entra.tenantId,
    subscriptionId,
    secondSubscriptionId,
    secondTenantId: entra.secondTenantId,
    foreignSubscriptionId,
    caCertPem: serverCert.certPem,
    caCertPath: serverCert.certPath,
    imdsUrl: `http://127.0.0.1:${imdsPort}`,
    oidcRequestUri: devops.requestUri,
    blob,
    blobFront,
    principals,
    entra,
    devops,
    arm,
    faults,
    eventGrid,
    serverTls: { cert: serverCert.certPem, key: serverCert.keyPem },
    replication,
    requests,
    recorded,
    platformImages,
    storageAccountId(name) {
      const account = blob && storageAccounts(blob).find((a) => a.name === name);
      if (!account) throw new Error(`the local Azure has no storage account '${name}'`);
      return account.id;
    },
    diskBlobUrl(diskId) {
      const disk = arm.store.get(diskId);
      return disk && diskBlobs ? diskBlobs.blobUrl(disk) : undefined;
    },
    resourceGroup(name, location = 'westeurope', sub = subscriptionId) {
      const id = `/subscriptions/${sub}/resourceGroups/${name}`;
      arm.store.put({
        id,
        name,
        type: 'Microsoft.Resources/resourceGroups',
        location,
        properties: { provisioningState: 'Succeeded' },
        preexisting: true,
      });
      preexisting.add(id.toLowerCase());
      return id;
    },
    audit(opts = {}) {
      arm.operations.tick();
      return arm.store
        .all()
        .filter((r) => !opts.created || !preexisting.has(r.id.toLowerCase()))
        .map((r) => {
          const diskState = r.properties.diskState as string | undefined;
          return {
            id: r.id,
            type: r.type,
            provisioningState: r.properties.provisioningState as string | undefined,
            ...(diskState === undefined
              ? {}
              : {
                  diskState,
                  openAccess: ['ActiveUpload', 'ActiveSAS', 'ActiveSASFrozen'].includes(diskState),
                }),
          };
        });
    },
    async stop() {
      const closed = Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => imds.close(() => resolve())),
      ]);
      // Keep-alive sockets of SDK clients would hold close() open.
      server.closeAllConnections();
      imds.closeAllConnections();
      await vmHost?.stopAll();
      await Promise.all(diskBlobs?.pending ?? []);
      await Promise.all([closed, blob?.stop(), blobFront?.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const r of arm.store.all()) preexisting.add(r.id.toLowerCase());
  return local;
}
