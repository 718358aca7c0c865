import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCredential } from '../../shared/azure/auth';
import type { AzureContext } from '../../shared/azure/context';
import { silentLogger, type Logger } from '../../shared/azure/logger';
import type { AzureRmConnection } from '../../shared/azure/serviceConnection';
import { ArmRouter } from './arm/armRouter';
import { FaultInjector } from './arm/faults';
import { galleryVersionsProvider, type ReplicationControl } from './arm/providers/galleryVersions';
import { virtualMachines } from './arm/providers/virtualMachines';
import { disksProvider, type DiskBlobs, type LocalStorageAccount } from './arm/providers/disks';
import { galleries, galleryImages } from './arm/providers/gallery';
import { images } from './arm/providers/images';
import { startAzurite, type AzuriteInstance } from './azurite';
import { makeSelfSignedCertificate } from './certs';
import { LocalDevOps } from './devops';
import { LocalEntra } from './entra';
import type { LocalAnswer, LocalRequest, RouteHandler } from './http';

export type ConnectionKind = 'secret' | 'certificate' | 'managedIdentity' | 'federated';
export const CONNECTION_KINDS: ConnectionKind[] = ['secret', 'certificate', 'managedIdentity', 'federated'];

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
  /** How long each target region of a gallery image version takes to replicate (default 60 ms). */
  replicationRegionMs?: number;
}

export interface RecordedExchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
}

export interface LocalAzure {
  armUrl: string;
  /** Token audience ARM accepts (armUrl with a trailing slash). */
  audience: string;
  authorityHost: string;
  tenantId: string;
  subscriptionId: string;
  secondSubscriptionId: string;
  caCertPem: string;
  caCertPath: string;
  imdsUrl: string;
  oidcRequestUri: string;
  blob?: AzuriteInstance;
  principals: {
    secret: { clientId: string; clientSecret: string };
    certificate: { clientId: string; certificatePem: string };
    federated: { clientId: string };
    managedIdentity: { clientId: string };
    systemAccessToken: string;
  };
  entra: LocalEntra;
  devops: LocalDevOps;
  arm: ArmRouter;
  faults: FaultInjector;
  /** Gallery image version replication: how long a region takes, and regions made to fail. */
  replication: ReplicationControl;
  requests: { method: string; path: string; status: number }[];
  recorded: RecordedExchange[];
  connection(kind: ConnectionKind, id?: string): AzureRmConnection;
  serviceConnectionEnv(kind: ConnectionKind, id?: string): Record<string, string>;
  /** A ready AzureContext for library tests (secret principal unless told otherwise). */
  context(options?: { kind?: ConnectionKind; logger?: Logger; httpDebug?: boolean }): AzureContext;
  /** ARM id of an Azurite account as the local Azure places it (see storageAccounts). */
  storageAccountId(name: string): string;
  /** Where a disk's bytes live (an Azurite page blob), for tests that compare content. */
  diskBlobUrl(diskId: string): string | undefined;
  /** A resource group the test's user already has (a fixture, left out of `audit({ created: true })`). */
  resourceGroup(name: string, location?: string, subscriptionId?: string): string;
  /** Every resource that exists now; `created` leaves out what the local Azure made itself at start. */
  audit(options?: { created?: boolean }): { id: string; type: string; provisioningState?: string }[];
  stop(): Promise<void>;
}

const LOCATIONS = [
  'westeurope',
  'northeurope',
  'eastus',
  'eastus2',
  'westus2',
  'uksouth',
  'swedencentral',
  'japaneast',
];

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: http.ServerResponse, answer: LocalAnswer): void {
  const headers: Record<string, string> = { ...(answer.headers ?? {}) };
  let payload: string | undefined;
  if (answer.body !== undefined) {
    payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(answer.status, headers);
  res.end(payload);
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
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
  const arm = new ArmRouter({
    baseUrl: () => baseUrl,
    entra,
    faults,
    subscriptions: [
      { id: subscriptionId, displayName: 'Local Azure images' },
      { id: secondSubscriptionId, displayName: 'Local Azure consumers' },
    ],
    audiences: () => [`${baseUrl}/`],
    operationDelayMs: options.operationDelayMs ?? 30,
    retryAfterSeconds: options.retryAfterSeconds ?? 0,
    locations: LOCATIONS,
  });
  arm.register(galleries);
  arm.register(galleryImages);
  arm.register(images);
  const replication: ReplicationControl = {
    regionMs: options.replicationRegionMs ?? 60,
    failingRegions: new Map(),
  };
  arm.register(galleryVersionsProvider(replication, LOCATIONS));
  arm.register(virtualMachines);

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
  const routes: RouteHandler[] = [devops.handle, entra.handle, metadata, (req) => arm.handle(req)];

  const handler =
    (routeList: RouteHandler[]) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
      // A path starting '//' would parse as a host; ARM treats repeated slashes as one.
      const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://127.0.0.1');
      const method = req.method ?? 'GET';
      if (faults.take(method, url.pathname, ['reset'])) {
        req.socket.destroy();
        return;
      }
      try {
        const body = await readBody(req);
        const local: LocalRequest = { method, url, headers: req.headers, body };
        let answer: LocalAnswer | undefined;
        for (const route of routeList) {
          answer = await route(local);
          if (answer) break;
        }
        answer ??= {
          status: 404,
          body: { error: { code: 'NotFound', message: `No route for ${method} ${url.pathname}` } },
        };
        requests.push({ method, path: url.pathname, status: answer.status });
        if (options.record && url.pathname.startsWith('/subscriptions/')) {
          recorded.push({
            method,
            url: `${baseUrl}${req.url}`,
            requestHeaders: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
            requestBody: body.length ? (JSON.parse(body.toString()) as unknown) : undefined,
            status: answer.status,
            responseHeaders: answer.headers ?? {},
            responseBody: answer.body,
          });
        }
        send(res, answer);
      } catch (e) {
        send(res, {
          status: 500,
          body: { error: { code: 'InternalServerError', message: (e as Error).message } },
        });
      }
    };

  const server = https.createServer({ cert: serverCert.certPem, key: serverCert.keyPem }, handler(routes));
  const imds = http.createServer(handler([entra.handleImds]));
  const port = await listen(server);
  const imdsPort = await listen(imds);
  baseUrl = `https://127.0.0.1:${port}`;
  // Each Azurite account is a storage account in a subscription of its own: the first in the images
  // subscription, the second in the consumers subscription (for cross-subscription imports and copies).
  const storageAccounts = (azurite: AzuriteInstance): LocalStorageAccount[] =>
    azurite.accounts.map((a, i) => ({
      ...a,
      id: `/subscriptions/${i === 0 ? subscriptionId : secondSubscriptionId}/resourceGroups/rg-storage/providers/Microsoft.Storage/storageAccounts/${a.name}`,
    }));
  const blob = options.blob === false ? undefined : await startAzurite({ persistence: options.persistence });
  let diskBlobs: DiskBlobs | undefined;
  if (blob) {
    const disks = disksProvider(blob, storageAccounts(blob));
    arm.register(disks.spec);
    arm.register(disks.snapshots);
    diskBlobs = disks.blobs;
  }
  const preexisting = new Set<string>();

  const federatedSubject = (id: string) =>
    entra.addFederatedSubject(
      principals.federated.clientId,
      devops.issuer,
      devops.subjectFor(id),
      devops.key.publicKey,
    );

  const connection = (kind: ConnectionKind, id = `local-azure-${kind}`): AzureRmConnection => {
    const base = {
      name: `ConnectedServiceName (${id})`,
      tenantId: entra.tenantId,
      subscriptionId,
      environment: 'AzureStack',
      resourceManagerUrl: `${baseUrl}/`,
      authorityHost: entra.authorityHost,
      audience: `${baseUrl}/`,
    };
    switch (kind) {
      case 'secret':
        return {
          ...base,
          scheme: 'ServicePrincipal',
          clientId: principals.secret.clientId,
          clientSecret: principals.secret.clientSecret,
        };
      case 'certificate':
        return {
          ...base,
          scheme: 'ServicePrincipal',
          clientId: principals.certificate.clientId,
          certificatePem: principals.certificate.certificatePem,
        };
      case 'managedIdentity':
        return { ...base, scheme: 'ManagedServiceIdentity', clientId: principals.managedIdentity.clientId };
      case 'federated':
        federatedSubject(id);
        return {
          ...base,
          scheme: 'WorkloadIdentityFederation',
          clientId: principals.federated.clientId,
          oidc: {
            requestUri: devops.requestUri,
            serviceConnectionId: id,
            systemAccessToken: devops.jobAccessToken,
          },
        };
    }
  };

  const local: LocalAzure = {
    armUrl: baseUrl,
    audience: `${baseUrl}/`,
    authorityHost: entra.authorityHost,
    tenantId: entra.tenantId,
    subscriptionId,
    secondSubscriptionId,
    caCertPem: serverCert.certPem,
    caCertPath: serverCert.certPath,
    imdsUrl: `http://127.0.0.1:${imdsPort}`,
    oidcRequestUri: devops.requestUri,
    blob,
    principals,
    entra,
    devops,
    arm,
    faults,
    replication,
    requests,
    recorded,
    connection,
    serviceConnectionEnv(kind, id = `local-azure-${kind}`) {
      const conn = connection(kind, id);
      const params: Record<string, string> = { tenantid: conn.tenantId };
      if (conn.clientId) params.serviceprincipalid = conn.clientId;
      if (kind === 'secret')
        Object.assign(params, { authenticationType: 'spnKey', serviceprincipalkey: conn.clientSecret! });
      if (kind === 'certificate') {
        Object.assign(params, {
          authenticationType: 'spnCertificate',
          servicePrincipalCertificate: conn.certificatePem!,
        });
      }
      if (kind === 'federated') {
        Object.assign(params, {
          workloadIdentityFederationIssuer: devops.issuer,
          workloadIdentityFederationSubject: devops.subjectFor(id),
        });
      }
      const data: Record<string, string> = {
        subscriptionId,
        subscriptionName: 'Local Azure images',
        environment: 'AzureStack',
        environmentAuthorityUrl: entra.authorityHost,
        activeDirectoryServiceEndpointResourceId: `${baseUrl}/`,
        scopeLevel: 'Subscription',
      };
      const env: Record<string, string> = {
        [`ENDPOINT_URL_${id}`]: `${baseUrl}/`,
        [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters: params, scheme: conn.scheme }),
        [`ENDPOINT_AUTH_SCHEME_${id}`]: conn.scheme,
        NODE_EXTRA_CA_CERTS: serverCert.certPath,
        SYSTEM_OIDCREQUESTURI: devops.requestUri,
        ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({
          parameters: { AccessToken: devops.jobAccessToken },
          scheme: 'OAuth',
        }),
        ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: devops.jobAccessToken,
        AZURE_POD_IDENTITY_AUTHORITY_HOST: `http://127.0.0.1:${imdsPort}`,
      };
      for (const [k, v] of Object.entries(params))
        env[`ENDPOINT_AUTH_PARAMETER_${id}_${k.toUpperCase()}`] = v;
      for (const [k, v] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${k.toUpperCase()}`] = v;
      return env;
    },
    context(opts = {}) {
      const kind = opts.kind ?? 'secret';
      if (kind === 'managedIdentity')
        process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = `http://127.0.0.1:${imdsPort}`;
      if (kind === 'federated') process.env.SYSTEM_OIDCREQUESTURI = devops.requestUri;
      const conn = connection(kind);
      return {
        credential: createCredential(conn, { tlsOptions: { ca: serverCert.certPem } }),
        subscriptionId,
        resourceManagerUrl: conn.resourceManagerUrl,
        audience: conn.audience,
        userAgentPrefix: 'VMImageLifecycle-tests/0',
        logger: opts.logger ?? silentLogger,
        httpDebug: opts.httpDebug,
        pollIntervalMs: 20,
        trustedCaPem: serverCert.certPem,
      };
    },
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
        .map((r) => ({
          id: r.id,
          type: r.type,
          provisioningState: r.properties.provisioningState as string | undefined,
        }));
    },
    async stop() {
      const closed = Promise.all([
        new Promise<void>((resolve) => server.close(() => resolve())),
        new Promise<void>((resolve) => imds.close(() => resolve())),
      ]);
      // Keep-alive sockets of SDK clients would hold close() open.
      server.closeAllConnections();
      imds.closeAllConnections();
      await Promise.all(diskBlobs?.pending ?? []);
      await Promise.all([closed, blob?.stop()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const r of arm.store.all()) preexisting.add(r.id.toLowerCase());
  return local;
}
