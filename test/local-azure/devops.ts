import * as crypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { bearerToken, json, type LocalRequest, type RouteHandler } from './http';
import { nowSeconds, signJwt } from './jwt';

/** Azure DevOps' OIDC issuer for workload identity federation (what System.OidcRequestUri answers). */
export class LocalDevOps {
  readonly key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  readonly jobAccessToken = `job-${randomUUID()}`;
  readonly organizationId = randomUUID();
  readonly path = '/local-devops/_apis/distributedtask/hubs/build/plans/plan-1/jobs/job-1/oidctoken';
  /** Tokens issued, so tests can assert a fresh one is asked for per token request. */
  issued = 0;

  constructor(private readonly baseUrl: () => string) {}

  get issuer(): string {
    return `https://vstoken.dev.azure.com/${this.organizationId}`;
  }

  subjectFor(serviceConnectionId: string): string {
    return `sc://local-org/local-project/${serviceConnectionId}`;
  }

  get requestUri(): string {
    return `${this.baseUrl()}${this.path}`;
  }

  /** Pipelines that exist, by project and id; runs queued through the pipelines REST API. */
  readonly pipelines = new Map<string, { id: number; name: string }>();
  readonly runs: {
    project: string;
    pipelineId: number;
    runId: number;
    templateParameters?: Record<string, string>;
    variables?: Record<string, { value?: string }>;
  }[] = [];

  /** The organization URL a job sees as System.CollectionUri. */
  get collectionUri(): string {
    return `${this.baseUrl()}/local-org/`;
  }

  addPipeline(project: string, id: number, name: string): void {
    this.pipelines.set(`${project.toLowerCase()}/${id}`, { id, name });
  }

  /**
   * The slice of the Azure DevOps REST API azure-devops-node-api walks to queue a run: resource areas (OPTIONS
   * location discovery, then the areas list) and POST {project}/_apis/pipelines/{id}/runs, with the job's token.
   */
  readonly handleApi: RouteHandler = (req: LocalRequest) => {
    const path = req.url.pathname;
    if (!path.startsWith('/local-org/')) return undefined;
    if (bearerToken(req) !== this.jobAccessToken)
      return json(401, { message: 'TF400813: The user is not authorized to access this resource.' });
    const location = (id: string, area: string, resourceName: string, routeTemplate: string) => ({
      id,
      area,
      resourceName,
      routeTemplate,
      resourceVersion: 1,
      minVersion: '1.0',
      maxVersion: '7.2',
      releasedVersion: '7.1',
    });
    if (req.method === 'OPTIONS' && /\/_apis\/location$/i.test(path))
      return json(200, {
        count: 1,
        value: [
          location(
            'e81700f7-3be2-46de-8624-2eb35882fcaa',
            'Location',
            'ResourceAreas',
            '_apis/{resource}/{areaId}',
          ),
        ],
      });
    if (req.method === 'OPTIONS' && /\/_apis\/pipelines$/i.test(path))
      return json(200, {
        count: 1,
        value: [
          location(
            '7859261e-d2e9-4a68-b820-a5d84cc5bb3d',
            'pipelines',
            'runs',
            '{project}/_apis/pipelines/{pipelineId}/runs/{runId}',
          ),
          location(
            '28e1305e-2afe-47bf-abaf-cbb0e6a91988',
            'pipelines',
            'pipelines',
            '{project}/_apis/pipelines/{pipelineId}',
          ),
        ],
      });
    if (req.method === 'GET' && /\/_apis\/ResourceAreas\/?$/i.test(path))
      return json(200, {
        count: 1,
        value: [
          { id: '5264459e-e5e0-4bd8-b118-0985e68a4ec5', name: 'pipelines', locationUrl: this.collectionUri },
        ],
      });
    const get = /^\/local-org\/([^/]+)\/_apis\/pipelines\/([^/]+)\/?$/i.exec(path);
    if (get && req.method === 'GET') {
      const project = decodeURIComponent(get[1]);
      const pipeline = this.pipelines.get(`${project.toLowerCase()}/${get[2]}`);
      return pipeline
        ? json(200, { id: pipeline.id, name: pipeline.name, folder: '\\', revision: 1 })
        : json(404, {
            message: `The pipeline with id ${get[2]} does not exist in project ${project}, or you do not have permission to access it.`,
            typeKey: 'PipelineNotFoundException',
          });
    }
    const run = /^\/local-org\/([^/]+)\/_apis\/pipelines\/([^/]+)\/runs\/?$/i.exec(path);
    if (run && req.method === 'POST') {
      const project = decodeURIComponent(run[1]);
      const pipeline = this.pipelines.get(`${project.toLowerCase()}/${run[2]}`);
      if (!pipeline)
        return json(404, {
          message: `The pipeline with id ${run[2]} does not exist in project ${project}, or you do not have permission to access it.`,
          typeKey: 'PipelineNotFoundException',
        });
      const body = JSON.parse(req.body.toString('utf8') || '{}') as {
        templateParameters?: Record<string, string>;
        variables?: Record<string, { value?: string }>;
      };
      const runId = this.runs.length + 1;
      this.runs.push({ project, pipelineId: pipeline.id, runId, ...body });
      const web = `${this.collectionUri}${encodeURIComponent(project)}/_build/results?buildId=${runId}`;
      return json(200, {
        id: runId,
        name: `${runId}`,
        state: 'inProgress',
        createdDate: new Date().toISOString(),
        pipeline: { id: pipeline.id, name: pipeline.name },
        url: `${this.collectionUri}${encodeURIComponent(project)}/_apis/pipelines/${pipeline.id}/runs/${runId}`,
        _links: { web: { href: web } },
      });
    }
    return json(404, { message: `No local Azure DevOps route for ${req.method} ${path}` });
  };

  readonly handle: RouteHandler = (req: LocalRequest) => {
    if (req.url.pathname !== this.path) return undefined;
    if (req.method !== 'POST') return json(405, { message: 'Method not allowed' });
    if (bearerToken(req) !== this.jobAccessToken) {
      return json(401, { message: 'TF400813: The user is not authorized to access this resource.' });
    }
    const connectionId = req.url.searchParams.get('serviceConnectionId');
    if (!connectionId) return json(400, { message: 'serviceConnectionId is required' });
    this.issued++;
    const now = nowSeconds();
    const oidcToken = signJwt(
      {
        iss: this.issuer,
        sub: this.subjectFor(connectionId),
        aud: 'api://AzureADTokenExchange',
        iat: now,
        nbf: now,
        exp: now + 600,
        jti: randomUUID(),
      },
      this.key.privateKey,
      // Azure DevOps signs with a certificate and names it by thumbprint (x5t) as well as kid; tools that take the
      // token as a client assertion (packer's client_jwt) insist on x5t.
      {
        kid: 'devops',
        x5t: crypto
          .createHash('sha1')
          .update(this.key.publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64url'),
      },
    );
    return json(200, { oidcToken });
  };
}
