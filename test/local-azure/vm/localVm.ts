import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';

/*
 * The local VM: QEMU (TCG; /dev/kvm exists on these machines but hangs) boots a disk image with the host's Debian
 * kernel and initrd and the image's own /sbin/init. The first serial port is the console (boot diagnostics), the
 * second is the channel of the local VM agent (agent.sh), reached through a Unix socket.
 */
export interface LocalVmOptions {
  /** The OS disk: an ext4 file system, optionally followed by a VHD footer (QEMU ignores the tail). */
  diskPath: string;
  workDir: string;
  memoryMiB?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** The host kernel and initrd a local VM boots, newest first; undefined when linux-image-amd64 is missing. */
export function hostKernel(): { kernel: string; initrd: string } | undefined {
  const boot = '/boot';
  if (!fs.existsSync(boot)) return undefined;
  const kernels = fs
    .readdirSync(boot)
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort()
    .reverse();
  for (const k of kernels) {
    const initrd = path.join(boot, `initrd.img-${k.slice('vmlinuz-'.length)}`);
    if (fs.existsSync(initrd)) return { kernel: path.join(boot, k), initrd };
  }
  return undefined;
}

export const QEMU = 'qemu-system-x86_64';

interface Pending {
  id: string;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  out: string[];
  err: string[];
  section?: 'out' | 'err';
}

export class LocalVm {
  private socket?: net.Socket;
  private buffer = '';
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private pending?: Pending;
  private exited = false;
  readonly consolePath: string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socketPath: string,
    consolePath: string,
  ) {
    this.consolePath = consolePath;
    child.once('exit', () => {
      this.exited = true;
      this.pending?.reject(new Error('the VM stopped while a script ran'));
      this.pending = undefined;
    });
  }

  /** Starts QEMU and connects to the agent's channel (the agent may never answer: an image without one). */
  static async boot(options: LocalVmOptions): Promise<LocalVm> {
    const kernel = hostKernel();
    if (!kernel) throw new Error('no kernel in /boot (apt-get install linux-image-amd64)');
    fs.mkdirSync(options.workDir, { recursive: true });
    const id = randomUUID().slice(0, 8);
    const socketPath = path.join(options.workDir, `agent-${id}.sock`);
    const consolePath = path.join(options.workDir, `console-${id}.log`);
    const args = [
      '-accel',
      'tcg',
      '-m',
      String(options.memoryMiB ?? 256),
      '-nographic',
      '-no-reboot',
      '-monitor',
      'none',
      '-nodefaults',
      '-kernel',
      kernel.kernel,
      '-initrd',
      kernel.initrd,
      '-append',
      'root=/dev/vda rootfstype=ext4 rw console=ttyS0 panic=-1 quiet',
      '-drive',
      `file=${options.diskPath},if=virtio,format=raw`,
      '-serial',
      `file:${consolePath}`,
      '-chardev',
      `socket,id=agent,path=${socketPath},server=on,wait=off`,
      '-serial',
      'chardev:agent',
    ];
    const child = spawn(QEMU, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const vm = new LocalVm(child, socketPath, consolePath);
    for (let i = 0; i < 100 && !fs.existsSync(socketPath); i++) {
      if (vm.exited) throw new Error(`QEMU exited: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await vm.connect();
    return vm;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.socketPath, () => resolve());
      socket.once('error', reject);
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => this.receive(chunk));
      this.socket = socket;
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).replace(/\r$/, '');
      this.buffer = this.buffer.slice(newline + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === 'READY') {
      this.ready = true;
      for (const w of this.readyWaiters.splice(0)) w();
      return;
    }
    const p = this.pending;
    if (!p) return;
    const [word, id, code] = line.split(' ');
    if ((word === 'OUT' || word === 'ERR') && id === p.id) {
      p.section = word === 'OUT' ? 'out' : 'err';
    } else if (word === 'END') {
      p.section = undefined;
    } else if (word === 'EXIT' && id === p.id) {
      this.pending = undefined;
      p.resolve({
        stdout: Buffer.from(p.out.join(''), 'base64'),
        stderr: Buffer.from(p.err.join(''), 'base64'),
        exitCode: Number(code),
      });
    } else if (p.section) {
      (p.section === 'out' ? p.out : p.err).push(line);
    }
  }

  /** True once the agent said READY; false when it did not within the time (no agent, or the boot failed). */
  async waitForAgent(timeoutMs: number): Promise<boolean> {
    if (this.ready) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.readyWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get agentReady(): boolean {
    return this.ready;
  }

  /** Runs a script as root through the agent; the signal kills it (exit code 137), as a cancelled Run Command. */
  async run(script: string, options: { signal?: AbortSignal } = {}): Promise<RunResult> {
    if (!this.ready || !this.socket) throw new Error('the VM agent is not ready');
    if (this.pending) throw new Error('the VM agent runs one script at a time');
    const id = randomUUID().slice(0, 8);
    const done = new Promise<RunResult>((resolve, reject) => {
      this.pending = { id, resolve, reject, out: [], err: [] };
    });
    const encoded = Buffer.from(script)
      .toString('base64')
      .replace(/(.{76})/g, '$1\n');
    this.socket.write(`RUN ${id}\n${encoded}\nEND\n`);
    const kill = () => this.socket?.write(`KILL ${id}\n`);
    options.signal?.addEventListener('abort', kill, { once: true });
    try {
      return await done;
    } finally {
      options.signal?.removeEventListener('abort', kill);
    }
  }

  /** What the VM printed on its console: Azure's boot diagnostics (serial log). */
  consoleLog(): string {
    return fs.existsSync(this.consolePath) ? fs.readFileSync(this.consolePath, 'latin1') : '';
  }

  async stop(): Promise<void> {
    this.socket?.destroy();
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(this.socketPath, { force: true });
  }
}
