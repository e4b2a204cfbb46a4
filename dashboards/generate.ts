// Writes dashboards/palingenesis.json from the typed definition (`npm run dashboard`), or with
// --check exits 1 when the committed file differs from what the definition produces.
import { readFile, writeFile } from 'node:fs/promises';
import { DASHBOARD_PATH, renderDashboard } from './palingenesis.js';

const json = await renderDashboard();
if (process.argv.includes('--check')) {
  const committed = await readFile(DASHBOARD_PATH, 'utf8').catch(() => '');
  if (committed !== json) {
    console.error(`${DASHBOARD_PATH} is out of date: run npm run dashboard`);
    process.exitCode = 1;
  }
} else {
  await writeFile(DASHBOARD_PATH, json);
  console.log(`wrote ${DASHBOARD_PATH}`);
}
