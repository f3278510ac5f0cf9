/**
 * Runs the worker role alone in its own process, as production does, so a test can kill it
 * with SIGKILL. Reads its configuration from the environment like `npm start -- --role worker`;
 * TEST_WORKFLOW_BUNDLE (a file) skips bundling the workflow code again.
 */
import fs from 'node:fs/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../../lib/config/index.js';
import { createLogger } from '../../lib/logging.js';
import { startDynamiq } from '../../app/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const bundlePath = process.env.TEST_WORKFLOW_BUNDLE;
const app = await startDynamiq(config, new Set(['worker']), createLogger(config.logLevel), {
  workflowBundle: bundlePath ? { code: await fs.readFile(bundlePath, 'utf8') } : undefined,
});
console.log('worker ready');
process.once('SIGTERM', () => void app.stop().then(() => process.exit(0)));
