export { createPredictor } from './predictor.js';
export type { Predictor, PredictorOptions, FineTuneOptions } from './predictor.js';
export type {
  Session,
  SessionOptions,
  PredictOptions,
  SetTextOptions,
  TextUpdate,
  CompleteOptions,
  CompletionResult,
  GenerateOptions,
} from './session.js';
export {
  NextkeyError,
  ModelFormatError,
  ModelFetchError,
  IntegrityError,
  BackendError,
  InvalidArgumentError,
  DisposedError,
  TrainingError,
  StorageError,
  WorkerError,
} from './errors.js';
export type {
  BackendName,
  BackendPreference,
  BackendReport,
  CellType,
  CheckpointOptions,
  Completion,
  CompletionStop,
  FeedResult,
  FineTuneProgress,
  FineTuneResult,
  SavedModelInfo,
  SessionStats,
  ModelInfo,
  Prediction,
  ProgressEvent,
  StateSnapshot,
  WarningCode,
  WorkerStats,
} from './protocol.js';
