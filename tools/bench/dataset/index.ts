// The shared benchmark data set: import `ensureBenchDataset` (and the baselines) from here.
export { DatasetGenerator, DEFAULT_PARAMETERS, EVENT_NAMES, EventKind, projectIdOf, startOf, type DatasetParameters } from './generate.js';
export { DEFAULT_BENCH_DATABASE_URL, ensureBenchDataset, parametersOf, type BenchDataset, type BenchDatasetOptions } from './load.js';
