export { createPredictor } from './predictor.js';
export type { Predictor, PredictorOptions } from './predictor.js';
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
  SessionStats,
  ModelInfo,
  Prediction,
  ProgressEvent,
  StateSnapshot,
  WarningCode,
  WorkerStats,
} from './protocol.js';
