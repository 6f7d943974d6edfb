/** The tools whose migration history `cairn adopt` reads (alone here: the CLI lists them without loading the reader). */
export const ADOPT_SOURCES = ['goose', 'sqlx', 'flyway', 'plain-version'] as const;
export type AdoptSource = (typeof ADOPT_SOURCES)[number];
