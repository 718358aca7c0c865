import type { TokenCredential } from '@azure/identity';
import type { Logger } from './logger';

/** Everything a library function needs to reach Azure; built once per task run. */
export interface AzureContext {
  credential: TokenCredential;
  subscriptionId: string;
  resourceManagerUrl: string;
  audience: string;
  /** e.g. `VMImageLifecycle-ShareToGallery/0.1.0`; Azure support can find our calls by it. */
  userAgentPrefix: string;
  abortSignal?: AbortSignal;
  logger: Logger;
  /** Log every HTTP call (method, URL, status, ids) with secrets redacted: `system.debug`. */
  httpDebug?: boolean;
  /** Poll interval of long-running operations; a server's Retry-After still wins. */
  pollIntervalMs?: number;
  /**
   * Credentials of other tenants whose tokens go along as `x-ms-authorization-auxiliary` (at most three): Azure
   * requires them to write a resource that reads one in another tenant (a gallery version copied across tenants).
   */
  auxiliaryCredentials?: TokenCredential[];
  /** PEM of extra certificate authorities to trust (the local Azure in tests; a private cloud's CA). */
  trustedCaPem?: string;
}
