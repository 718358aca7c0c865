// npm run fidelity: the ARM traffic of the last test run (left by npm test in .tmp/arm-traffic.json) through oav.
import * as fs from 'node:fs';
import type { RecordedExchange } from '../local-azure/front';
import { formatViolation, TRAFFIC_FILE, validateTraffic } from './specValidator';

async function main(): Promise<void> {
  if (!fs.existsSync(TRAFFIC_FILE)) {
    console.error(
      `${TRAFFIC_FILE} does not exist: run npm test first (its last test records the whole run's ARM traffic)`,
    );
    process.exit(2);
  }
  const traffic = JSON.parse(fs.readFileSync(TRAFFIC_FILE, 'utf8')) as RecordedExchange[];
  const report = await validateTraffic(traffic);
  for (const v of report.violations) console.log(formatViolation(v));
  const unmatched = report.unmatched.reduce((n, u) => n + u.count, 0);
  for (const u of report.unmatched) console.log(`not in a spec here: ${u.count} x ${u.route}`);
  console.log(`oav_violations=${report.violations.length} pairs=${report.pairs} unmatched=${unmatched}`);
  process.exit(report.violations.length ? 1 : 0);
}

void main();
