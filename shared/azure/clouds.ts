/** Endpoints of the Azure clouds a service connection can name. */
export interface CloudEndpoints {
  name: string;
  resourceManagerUrl: string;
  authorityHost: string;
  audience: string;
  storageSuffix: string;
  /** Known public clouds let MSAL validate the authority; custom ones (Azure Stack) must not. */
  isCustom: boolean;
}

export const KNOWN_CLOUDS: Record<string, CloudEndpoints> = {
  azurecloud: {
    name: 'AzureCloud',
    resourceManagerUrl: 'https://management.azure.com/',
    authorityHost: 'https://login.microsoftonline.com/',
    audience: 'https://management.core.windows.net/',
    storageSuffix: 'core.windows.net',
    isCustom: false,
  },
  azurechinacloud: {
    name: 'AzureChinaCloud',
    resourceManagerUrl: 'https://management.chinacloudapi.cn/',
    authorityHost: 'https://login.chinacloudapi.cn/',
    audience: 'https://management.core.chinacloudapi.cn/',
    storageSuffix: 'core.chinacloudapi.cn',
    isCustom: false,
  },
  azureusgovernment: {
    name: 'AzureUSGovernment',
    resourceManagerUrl: 'https://management.usgovcloudapi.net/',
    authorityHost: 'https://login.microsoftonline.us/',
    audience: 'https://management.core.usgovcloudapi.net/',
    storageSuffix: 'core.usgovcloudapi.net',
    isCustom: false,
  },
};

export interface ConnectionCloudData {
  environment?: string;
  url?: string;
  authorityUrl?: string;
  audience?: string;
}

/** Shape of `GET {resourceManager}/metadata/endpoints?api-version=2015-01-01` on Azure Stack. */
interface StackMetadata {
  authentication?: { loginEndpoint?: string; audiences?: string[] };
}

export function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * Resolves the endpoints of a connection. A known cloud may still be overridden by the connection's own
 * URLs (sovereign or private endpoints); Azure Stack and custom clouds need the connection's URL and, when the
 * authority is missing, the metadata endpoint Azure Stack publishes.
 */
export async function resolveCloud(
  data: ConnectionCloudData,
  fetchMetadata: (url: string) => Promise<unknown> = fetchJson,
): Promise<CloudEndpoints> {
  const known = KNOWN_CLOUDS[(data.environment || 'AzureCloud').toLowerCase()];
  if (known) {
    return {
      ...known,
      resourceManagerUrl: withTrailingSlash(data.url || known.resourceManagerUrl),
      authorityHost: withTrailingSlash(data.authorityUrl || known.authorityHost),
      audience: withTrailingSlash(data.audience || known.audience),
    };
  }
  if (!data.url) {
    throw new Error(
      `cloud '${data.environment}' is not a known Azure cloud and the connection has no management URL`,
    );
  }
  const resourceManagerUrl = withTrailingSlash(data.url);
  let authorityHost = data.authorityUrl;
  let audience = data.audience;
  if (!authorityHost || !audience) {
    const meta = (await fetchMetadata(
      `${resourceManagerUrl}metadata/endpoints?api-version=2015-01-01`,
    )) as StackMetadata;
    authorityHost ||= meta.authentication?.loginEndpoint;
    audience ||= meta.authentication?.audiences?.[0];
  }
  if (!authorityHost) throw new Error(`cloud '${data.environment}' publishes no authority (login endpoint)`);
  return {
    name: data.environment || 'Custom',
    resourceManagerUrl,
    authorityHost: withTrailingSlash(authorityHost),
    audience: withTrailingSlash(audience || resourceManagerUrl),
    storageSuffix: '',
    isCustom: true,
  };
}

async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  return response.json();
}
