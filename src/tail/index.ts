// `cairndb/tail`: follow a table's newest rows.
export { tailTable, storeWithTable, DEFAULT_TAIL_LINES, DEFAULT_POLL_MS } from './tail.js';
export type { TailOptions } from './tail.js';
export { buildTailQuery, lastRows, rowsAfter } from './query.js';
export type { TailFilters, TailQuery, TailRow } from './query.js';
