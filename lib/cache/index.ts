// Small in-process caches shared by the broker and the connections layer.
export { PromiseCache } from './promise-cache.js';
