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
      { kid: 'devops' },
    );
    return json(200, { oidcToken });
  };
}
