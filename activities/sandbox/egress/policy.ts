import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { canonicalHost, classifyAddress } from './address.js';

/** What the proxy decides for one destination. */
export type EgressDecision =
  | { allowed: true; host: string; port: number; address: string; family: 4 | 6 }
  | { allowed: false; host: string; port: number; address?: string; reason: string };

export interface EgressPolicyOptions {
  /**
   * `host:port` destinations reached whatever their address (the broker, an internal
   * registry, a test server on loopback). Matched on the name the client asked for.
   */
  allow?: readonly string[];
  /** `host:port` destinations always refused (the product's own Temporal and database). */
  deny?: readonly string[];
  /**
   * When set, only these domains and their subdomains are reached (besides `allow`);
   * unset: the whole public internet.
   */
  domains?: readonly string[];
  /** Name resolution; default the system resolver (getaddrinfo, as every CLI would). */
  lookup?: (host: string) => Promise<Array<{ address: string; family: number }>>;
  /** This host's own addresses, refused like loopback; default its interfaces' addresses. */
  hostAddresses?: () => readonly string[];
}

/** A `host:port` entry (IPv6 in brackets) with the host canonical, or undefined. */
export function parseDestination(entry: string): { host: string; port: number } | undefined {
  const m = /^(.+):(\d{1,5})$/.exec(entry.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  const raw = m[1]!;
  // A bare IPv6 address needs its brackets, or its last group would read as the port.
  if (raw.includes(':') && !(raw.startsWith('[') && raw.endsWith(']'))) return undefined;
  if (/[/?#@\s]/.test(raw)) return undefined;
  const host = canonicalHost(raw);
  if (!host || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** `host:port` of a URL, with the scheme's default port; undefined if it is no http(s) URL. */
export function destinationOfUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    return undefined;
  }
}

const key = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/**
 * The egress policy of a sandbox: the public internet (or a domain allowlist), never
 * loopback, private, link-local, CGNAT, ULA, multicast, metadata or this host's own
 * addresses, judged on the resolved addresses. The caller connects to the address returned,
 * so a name cannot resolve to one thing here and another at connect time.
 */
export class EgressPolicy {
  private readonly allow: Set<string>;
  private readonly deny: Set<string>;
  private readonly domains: string[] | undefined;
  private readonly lookup: NonNullable<EgressPolicyOptions['lookup']>;
  private readonly hostAddresses: () => readonly string[];

  constructor(options: EgressPolicyOptions = {}) {
    const keys = (entries: readonly string[] = []) =>
      new Set(
        entries.map((e) => {
          const d = parseDestination(e);
          if (!d) throw new Error(`"${e}" is not a host:port destination`);
          return key(d.host, d.port);
        }),
      );
    this.allow = keys(options.allow);
    this.deny = keys(options.deny);
    this.domains = options.domains?.map((d) => canonicalHost(d.replace(/^\*\./, '')) ?? d);
    this.lookup =
      options.lookup ??
      ((host) =>
        dnsLookup(host, { all: true, order: 'verbatim' }) as Promise<
          Array<{ address: string; family: number }>
        >);
    this.hostAddresses = options.hostAddresses ?? interfaceAddresses;
  }

  /** Whether `host:port` is one of the explicitly allowed destinations. */
  isAllowedExplicitly(host: string, port: number): boolean {
    const h = canonicalHost(host);
    return h !== undefined && this.allow.has(key(h, port));
  }

  async decide(requestedHost: string, port: number): Promise<EgressDecision> {
    const host = canonicalHost(requestedHost);
    const refuse = (reason: string, address?: string): EgressDecision => ({
      allowed: false,
      host: host ?? requestedHost,
      port,
      address,
      reason,
    });
    if (!host) return refuse('not a host name or address');
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refuse('bad port');
    if (this.deny.has(key(host, port))) return refuse('a denied destination');
    const explicit = this.allow.has(key(host, port));
    if (!explicit && this.domains && !this.inDomains(host)) {
      return refuse('not in the domain allowlist');
    }
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      try {
        addresses = await this.lookup(host);
      } catch (err) {
        return refuse(`cannot resolve (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (addresses.length === 0) return refuse('cannot resolve (no address)');
    }
    const own = explicit ? new Set<string>() : new Set(this.hostAddresses());
    // Every answer must pass: a name that mixes public and private answers is refused whole.
    for (const { address } of addresses) {
      if (this.deny.has(key(address, port))) return refuse('a denied destination', address);
      if (explicit) continue;
      const cls = classifyAddress(address);
      if (cls !== 'public') return refuse(`a ${cls} address`, address);
      if (own.has(address)) return refuse("one of this host's addresses", address);
    }
    const first = addresses[0]!;
    return {
      allowed: true,
      host,
      port,
      address: first.address,
      family: first.family === 6 ? 6 : 4,
    };
  }

  private inDomains(host: string): boolean {
    if (isIP(host)) return false;
    return this.domains!.some((d) => host === d || host.endsWith(`.${d}`));
  }
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address.replace(/%.*$/, ''));
}
