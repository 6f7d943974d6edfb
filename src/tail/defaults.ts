/** How many rows `tail` shows first, and how often `tail -f` polls (alone here: the CLI's help shows them without loading tail). */
export const DEFAULT_TAIL_LINES = 200;
export const DEFAULT_POLL_MS = 500;
