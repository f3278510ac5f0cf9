import { describe, expect, it } from 'vitest';
import { canonicalHost, classifyAddress } from './address.js';
import { EgressPolicy, destinationOfUrl, parseDestination } from './policy.js';

// Pure tests on values: nothing here opens a connection.

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
  ])('IPv4 %s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    ['2606:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'private'],
    ['2001:db8::1', 'reserved'],
  ])('IPv6 %s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::a9fe:a9fe', 'link-local'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
  ])('IPv6 %s carrying IPv4 is judged by it: %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('calls anything that is not an address unparsable', () => {
    for (const junk of ['', 'localhost', '1.2.3', '999.1.1.1', '::g', '[::1]']) {
      expect(classifyAddress(junk)).toBe('unparsable');
    }
  });
});

describe('canonicalHost', () => {
  it.each([
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['169.254.169.254.', '169.254.169.254'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['::FFFF:127.0.0.1', '::ffff:7f00:1'],
    ['Example.COM.', 'example.com'],
  ])('reads %s as %s', (host, canonical) => {
    expect(canonicalHost(host)).toBe(canonical);
    if (canonical.includes('.') && /^[\d.]+$/.test(canonical)) {
      expect(classifyAddress(canonical)).not.toBe('public');
    }
  });

  it('refuses what no URL host can be', () => {
    for (const junk of ['', 'a b', '1.2.3.4.5', 'exa mple.com', '[zz::1]']) {
      expect(canonicalHost(junk)).toBeUndefined();
    }
  });
});

describe('parseDestination', () => {
  it('reads host:port entries, IPv6 in brackets, and refuses the rest', () => {
    expect(parseDestination('api.example.com:443')).toEqual({ host: 'api.example.com', port: 443 });
    expect(parseDestination('127.0.0.1:80')).toEqual({ host: '127.0.0.1', port: 80 });
    expect(parseDestination('[::1]:3000')).toEqual({ host: '::1', port: 3000 });
    for (const bad of ['example.com', '::1:80', 'a:0', 'a:70000', 'u@h:1', 'h/x:1', '']) {
      expect(parseDestination(bad)).toBeUndefined();
    }
    expect(destinationOfUrl('https://broker.example.com/api')).toBe('broker.example.com:443');
    expect(destinationOfUrl('http://127.0.0.1:4000')).toBe('127.0.0.1:4000');
    expect(destinationOfUrl('ftp://x')).toBeUndefined();
  });
});

describe('EgressPolicy.decide', () => {
  /** A resolver answering from a table, so names are tested without DNS. */
  const table: Record<string, string[]> = {
    'public.example': ['93.184.215.14'],
    'rebind.example': ['127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'mixed.example': ['93.184.215.14', '10.0.0.7'],
    'v6.example': ['2606:4700::1111'],
    'mapped.example': ['::ffff:192.168.0.1'],
    'broker.internal': ['10.9.9.9'],
  };
  const lookup = async (host: string) => {
    const answers = table[host];
    if (!answers) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  const policy = (extra: ConstructorParameters<typeof EgressPolicy>[0] = {}) =>
    new EgressPolicy({ lookup, hostAddresses: () => ['8.8.4.4', '2606:4700::6810:1'], ...extra });

  it('allows public names and addresses, connecting to the address it checked', async () => {
    await expect(policy().decide('public.example', 443)).resolves.toMatchObject({
      allowed: true,
      address: '93.184.215.14',
      family: 4,
    });
    await expect(policy().decide('v6.example', 443)).resolves.toMatchObject({
      allowed: true,
      address: '2606:4700::1111',
      family: 6,
    });
    await expect(policy().decide('8.8.8.8', 53)).resolves.toMatchObject({ allowed: true });
  });

  it('refuses names that resolve to loopback, metadata, private or mixed answers', async () => {
    const cases: Array<[string, string]> = [
      ['rebind.example', 'a loopback address'],
      ['localhost', 'a loopback address'],
      ['metadata.example', 'a link-local address'],
      ['mixed.example', 'a private address'],
      ['mapped.example', 'a private address'],
    ];
    const local = policy({
      lookup: async (h) => (h === 'localhost' ? [{ address: '127.0.0.1', family: 4 }] : lookup(h)),
    });
    for (const [host, reason] of cases) {
      await expect(local.decide(host, 80)).resolves.toMatchObject({ allowed: false, reason });
    }
  });

  it('refuses address literals in every spelling', async () => {
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '[::1]',
      '::ffff:127.0.0.1',
    ]) {
      await expect(policy().decide(host, 5432)).resolves.toMatchObject({
        allowed: false,
        reason: 'a loopback address',
      });
    }
    for (const host of ['169.254.169.254', '0xa9fea9fe', '[fe80::1]', '[::ffff:a9fe:a9fe]']) {
      await expect(policy().decide(host, 80)).resolves.toMatchObject({
        allowed: false,
        reason: 'a link-local address',
      });
    }
    await expect(policy().decide('100.64.1.1', 80)).resolves.toMatchObject({
      reason: 'a cgnat address',
    });
    await expect(policy().decide('[fd00::5]', 80)).resolves.toMatchObject({
      reason: 'a unique-local address',
    });
  });

  it("refuses this host's own public addresses, where 0.0.0.0 listeners answer", async () => {
    await expect(policy().decide('8.8.4.4', 5432)).resolves.toMatchObject({
      allowed: false,
      reason: "one of this host's addresses",
    });
  });

  it('allows an explicitly allowed destination on a private address, on that port only', async () => {
    const p = policy({ allow: ['broker.internal:3000', '127.0.0.1:4000'] });
    await expect(p.decide('broker.internal', 3000)).resolves.toMatchObject({
      allowed: true,
      address: '10.9.9.9',
    });
    await expect(p.decide('broker.internal', 3001)).resolves.toMatchObject({ allowed: false });
    await expect(p.decide('127.0.0.1', 4000)).resolves.toMatchObject({ allowed: true });
    await expect(p.decide('2130706433', 4000)).resolves.toMatchObject({ allowed: true });
    await expect(p.decide('127.0.0.1', 5432)).resolves.toMatchObject({ allowed: false });
  });

  it('refuses denied destinations even when allowed, by name and by address', async () => {
    const p = policy({ allow: ['127.0.0.1:7233'], deny: ['127.0.0.1:7233', '93.184.215.14:5432'] });
    await expect(p.decide('127.0.0.1', 7233)).resolves.toMatchObject({
      allowed: false,
      reason: 'a denied destination',
    });
    await expect(p.decide('public.example', 5432)).resolves.toMatchObject({
      allowed: false,
      reason: 'a denied destination',
    });
  });

  it('keeps to the domain allowlist when one is set', async () => {
    const p = policy({ domains: ['example', '*.github.com'], allow: ['broker.internal:3000'] });
    table['api.github.com'] = ['140.82.112.6'];
    await expect(p.decide('public.example', 443)).resolves.toMatchObject({ allowed: true });
    await expect(p.decide('api.github.com', 443)).resolves.toMatchObject({ allowed: true });
    await expect(p.decide('evil-github.com', 443)).resolves.toMatchObject({
      allowed: false,
      reason: 'not in the domain allowlist',
    });
    await expect(p.decide('8.8.8.8', 443)).resolves.toMatchObject({ allowed: false });
    await expect(p.decide('broker.internal', 3000)).resolves.toMatchObject({ allowed: true });
  });

  it('reports names that do not resolve and bad ports', async () => {
    await expect(policy().decide('nowhere.example', 443)).resolves.toMatchObject({
      allowed: false,
      reason: 'cannot resolve (ENOTFOUND)',
    });
    await expect(policy().decide('public.example', 0)).resolves.toMatchObject({ allowed: false });
  });

  it('rejects malformed entries at construction', () => {
    expect(() => new EgressPolicy({ allow: ['no-port'] })).toThrow(/host:port/);
  });
});
