/** Escapes text for a Markdown line or table cell (a `|` in a name must not break the table). */
export function markdownEscape(text: string): string {
  return text.replace(/([|*_`\\[\]<>])/g, '\\$1').replace(/\r?\n/g, ' ');
}

export function markdownTable(headers: string[], rows: string[][]): string {
  return [
    `| ${headers.map(markdownEscape).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** An id or name shown as code; ARM ids hold no backticks. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, '')}\``;
}
