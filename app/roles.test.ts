import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config/index.js';
import type { Role } from '../lib/config/index.js';
import { checkRoles } from './roles.js';

/** What every split role needs, so that each case below differs by one variable. */
const split = {
  DATABASE_URL: 'postgresql://dynamiq@postgresql:5432/dynamiq',
  TEMPORAL_ADDRESS: 'temporal:7233',
  DYNAMIQ_API_TOKEN: 'a'.repeat(32),
  JWT_SECRET: 'a-jwt-secret-that-is-long-enough-for-the-checks',
};
const check = (env: Record<string, string>, roles: Role[]) =>
  checkRoles(loadConfig(env), new Set(roles));

describe('checkRoles', () => {
  it('refuses a worker-only role without DYNAMIQ_BROKER_URL, with a line saying what to set', () => {
    const config = loadConfig(split);
    let thrown: unknown;
    try {
      checkRoles(config, new Set(['worker']));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    const lines = (thrown as Error).message.split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^DYNAMIQ_BROKER_URL must be set when the worker role runs alone/);
    expect(lines[0]).toContain('http://api:3000');
  });

  it('accepts a worker-only role with DYNAMIQ_BROKER_URL', () => {
    expect(() =>
      check({ ...split, DYNAMIQ_BROKER_URL: 'http://api:3000' }, ['worker']),
    ).not.toThrow();
  });

  it('needs no broker URL for the api role alone or for both roles in one process', () => {
    expect(() => check(split, ['api'])).not.toThrow();
    expect(() => check({}, ['api', 'worker'])).not.toThrow();
  });

  it('lists every missing setting of a split worker, one line each', () => {
    expect(() => check({}, ['worker'])).toThrow(
      /DATABASE_URL[^\n]*\nTEMPORAL_ADDRESS[^\n]*\nJWT_SECRET[^\n]*\nDYNAMIQ_BROKER_URL/,
    );
  });
});
