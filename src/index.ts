export { createPredictor } from './predictor.js';
export type { Predictor, PredictorOptions, Session, PredictOptions } from './predictor.js';
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
  FeedResult,
  ModelInfo,
  Prediction,
  ProgressEvent,
  StateSnapshot,
  WarningCode,
  WorkerStats,
} from './protocol.js';
