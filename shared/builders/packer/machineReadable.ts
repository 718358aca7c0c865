/*
 * Packer's machine-readable output (`-machine-readable`): one line per event, `timestamp,target,type,data...`,
 * with commas inside data written as `%!(PACKER_COMMA)` and newlines as a literal `\n`. The format is the same
 * across versions; whatever a version prints around it (banners, update notices) is not a line of this shape
 * and is passed through as plain text.
 */
export interface PackerEvent {
  timestamp: number;
  target: string;
  type: string;
  data: string[];
}

const LINE = /^(\d+),([^,]*),([^,]+)(?:,(.*))?$/;

function unescape(field: string): string {
  return field
    .replace(/%!\(PACKER_COMMA\)/g, ',')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '\r');
}

export function parseMachineReadableLine(line: string): PackerEvent | undefined {
  const m = LINE.exec(line.replace(/\r$/, ''));
  if (!m) return undefined;
  return {
    timestamp: Number(m[1]),
    target: m[2],
    type: m[3],
    data: m[4] === undefined ? [] : m[4].split(',').map(unescape),
  };
}

/** Splits a stream of chunks into lines and hands each on as an event, or as text when it is not one. */
export class MachineReadableStream {
  private rest = '';

  constructor(
    private readonly onEvent: (event: PackerEvent) => void,
    private readonly onText: (line: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    this.rest += chunk;
    let newline: number;
    while ((newline = this.rest.indexOf('\n')) >= 0) {
      this.line(this.rest.slice(0, newline));
      this.rest = this.rest.slice(newline + 1);
    }
  }

  end(): void {
    if (this.rest) this.line(this.rest);
    this.rest = '';
  }

  private line(line: string): void {
    const event = parseMachineReadableLine(line);
    if (event) this.onEvent(event);
    else if (line.trim()) this.onText(line);
  }
}
