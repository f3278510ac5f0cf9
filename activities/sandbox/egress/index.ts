export { canonicalHost, classifyAddress } from './address.js';
export type { AddressClass } from './address.js';
export { EgressPolicy, destinationOfUrl, parseDestination } from './policy.js';
export type { EgressDecision, EgressPolicyOptions } from './policy.js';
export { EgressProxy } from './proxy.js';
export type { EgressBridge, EgressConnection } from './proxy.js';
