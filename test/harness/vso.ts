/** One `##vso[area.action k=v;k=v]message` command as the agent reads it from a task's stdout. */
export interface VsoCommand {
  name: string;
  props: Record<string, string>;
  message: string;
}

// task-lib escapes command values like this (azure-pipelines-task-lib taskcommand.ts).
function unescapeValue(s: string): string {
  return s
    .replace(/%AZP25/g, '%')
    .replace(/%3B/g, ';')
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%5D/g, ']');
}
function unescapeMessage(s: string): string {
  return s
    .replace(/%AZP25/g, '%')
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n');
}

export function parseVsoLine(line: string): VsoCommand | undefined {
  const m = /##vso\[([\w.]+)((?:\s+[^\]]*)?)\](.*)$/.exec(line);
  if (!m) return undefined;
  const props: Record<string, string> = {};
  for (const pair of m[2].trim().split(';')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    props[pair.slice(0, eq).trim()] = unescapeValue(pair.slice(eq + 1));
  }
  return { name: m[1], props, message: unescapeMessage(m[3]) };
}

export function parseVso(stdout: string): VsoCommand[] {
  return stdout
    .split(/\r?\n/)
    .map(parseVsoLine)
    .filter((c): c is VsoCommand => c !== undefined);
}
