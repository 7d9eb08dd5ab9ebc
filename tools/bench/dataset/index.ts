// The shared benchmark data set: `ensureBenchDataset` (rows in PostgreSQL), `ensureParquet` (the
// same rows for DuckDB) and the baselines other benchmarks compare against.
export {
  Baselines,
  BASELINE_QUESTIONS,
  chargedThriceOrOver500,
  formatResults,
  funnel3Steps7Days,
  retention12Weeks,
  type AskOptions,
  type Question,
  type QuestionContext,
  type QuestionResult,
  type Timing,
} from './baselines.js';
export { DatasetGenerator, DEFAULT_PARAMETERS, EVENT_NAMES, EventKind, projectIdOf, startOf, type DatasetParameters } from './generate.js';
export { DEFAULT_BENCH_DATABASE_URL, ensureBenchDataset, formatTimings, parametersOf, type BenchDataset, type BenchDatasetOptions } from './load.js';
export { ensureParquet, type ParquetDataset, type ParquetOptions } from './parquet.js';
export { startDatasetEvents, type DatasetEventsApp } from './events-app.js';
