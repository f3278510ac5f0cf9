// The one in-process cache helper, used by the broker, the connections layer and MCP.
export { FetchCache } from './fetch-cache.js';
export type { FetchCacheOptions, Fetched } from './fetch-cache.js';
