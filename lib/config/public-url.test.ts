import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';
import { isHttpsOrLoopback } from './schema.js';

const problemsOf = (publicUrl: string): string[] => {
  try {
    loadConfig({ PUBLIC_URL: publicUrl }, '/srv/app');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('PUBLIC_URL', () => {
  it.each([
    'https://dynamiq.example.com',
    'https://10.0.0.5:8443/dynamiq',
    'http://localhost:3000',
    'http://portal.localhost:5173',
    'http://127.0.0.1:9',
    'http://[::1]:3000',
  ])('accepts %s', (url) => {
    expect(problemsOf(url)).toEqual([]);
  });

  it.each([
    'http://dynamiq.example.com',
    'http://10.0.0.5:3000',
    'http://192.168.1.20',
    'http://localhost.evil.example',
    'http://127.0.0.1.nip.io',
    'ftp://dynamiq.example.com',
  ])('refuses plain http to another machine: %s', (url) => {
    const problems = problemsOf(url);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^PUBLIC_URL must be https:\/\/ .* unless it is http:\/\/localhost/,
    );
  });

  it('the default (http://localhost:PORT) stays valid', () => {
    expect(isHttpsOrLoopback(loadConfig({}, '/srv/app').publicUrl)).toBe(true);
  });
});
