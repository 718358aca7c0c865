import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StoragePipelineOptions } from '@azure/storage-blob';

/** The key Microsoft publishes for the emulator's default account. */
export const DEVSTORE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const SECOND_ACCOUNT = 'imagestore2';
const SECOND_KEY = Buffer.from('local-azure-second-account-key-0123456789').toString('base64');

export interface AzuriteInstance {
  blobEndpoint(account: string): string;
  /** Process id of the blob service (tests read its memory use). */
  blobPid: number;
  /** The queue service of an account, when Azurite was started with it. */
  queueEndpoint?: (account: string) => string;
  accounts: { name: string; key: string }[];
  /** Options for in-process storage clients: over HTTPS they must trust the local certificate. */
  clientOptions: StoragePipelineOptions;
  connectionString(account: string): string;
  port: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms`);
}

/** HTTPS with this certificate, and Entra ID tokens accepted (`--oauth basic`). */
export interface AzuriteTls {
  certPath: string;
  keyPath: string;
}

interface AzuriteService {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** One Azurite service (blob or queue) as a child process of its own, ready when its port answers. */
async function startService(
  kind: 'blob' | 'queue',
  dir: string,
  persistence: 'memory' | 'disk' | undefined,
  accounts: { name: string; key: string }[],
  tls?: AzuriteTls,
): Promise<AzuriteService> {
  const port = await freePort();
  const main = require.resolve(`azurite/dist/src/${kind}/main.js`);
  const args = [
    main,
    `--${kind}Host`,
    '127.0.0.1',
    `--${kind}Port`,
    String(port),
    '--skipApiVersionCheck',
    '--loose',
    '--disableTelemetry',
    '--silent',
  ];
  args.push(...(persistence === 'disk' ? ['--location', dir] : ['--inMemoryPersistence']));
  // Azurite accepts bearer tokens only over HTTPS; with them it serves user delegation keys as Azure does.
  if (tls) args.push('--cert', tls.certPath, '--key', tls.keyPath, '--oauth', 'basic');
  const child = spawn(process.execPath, args, {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      AZURITE_ACCOUNTS: accounts.map((a) => `${a.name}:${a.key}`).join(';'),
      // Azurite checks a copy's source SAS by calling the source URL itself: over HTTPS it must trust our CA.
      ...(tls ? { NODE_EXTRA_CA_CERTS: tls.certPath } : {}),
    },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForPort(port, child, 15_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`, { cause: e });
  }
  return {
    port,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Azurite's blob service (and, when asked, its queue service) as child processes of their own (not through npx,
 * so the pid we hold is the server's), with two accounts for cross-account copies. Telemetry off: it would try
 * to reach the internet.
 */
export async function startAzurite(
  options: { persistence?: 'memory' | 'disk'; dir?: string; queue?: boolean; tls?: AzuriteTls } = {},
): Promise<AzuriteInstance> {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'azurite-'));
  const ownsDir = !options.dir;
  const accounts = [
    { name: 'devstoreaccount1', key: DEVSTORE_KEY },
    { name: SECOND_ACCOUNT, key: SECOND_KEY },
  ];
  const [blob, queue] = await Promise.all([
    startService('blob', dir, options.persistence, accounts, options.tls),
    options.queue ? startService('queue', dir, options.persistence, accounts) : undefined,
  ]);
  const port = blob.port;
  const scheme = options.tls ? 'https' : 'http';
  const blobEndpoint = (account: string) => `${scheme}://127.0.0.1:${port}/${account}`;
  const queueEndpoint = queue ? (account: string) => `http://127.0.0.1:${queue.port}/${account}` : undefined;
  return {
    port,
    blobPid: blob.pid,
    accounts,
    // storage-blob hands options it does not declare to its core pipeline, whose tlsOptions take a CA.
    clientOptions: (options.tls
      ? { tlsOptions: { ca: fs.readFileSync(options.tls.certPath, 'utf8') } }
      : {}) as StoragePipelineOptions,
    blobEndpoint,
    queueEndpoint,
    connectionString: (account) => {
      const key = accounts.find((a) => a.name === account)?.key;
      if (!key) throw new Error(`Azurite has no account '${account}'`);
      return `DefaultEndpointsProtocol=${scheme};AccountName=${account};AccountKey=${key};BlobEndpoint=${blobEndpoint(account)};${queueEndpoint ? `QueueEndpoint=${queueEndpoint(account)};` : ''}`;
    },
    stop: async () => {
      await Promise.all([blob.stop(), queue?.stop()]);
      if (ownsDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
