import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers log state changes at INFO; tests only want to see warnings and errors.
Runtime.install({ logger: new DefaultLogger('WARN') });
