// `cairndb/doctor`: one report on every store's health, for operators and support.
export { runDoctor } from './run.js';
export { DEFAULT_THRESHOLDS } from './types.js';
export type { DoctorReport, DoctorCheck, DoctorOptions, DoctorThresholds, CheckStatus } from './types.js';
