import './bus-events.js';

export { Annotations, type AnnotationsOptions } from './annotations.js';
export { type Actor, type AuditEntry, AuditLog, type AuditQuery, actorId } from './audit-log.js';
export type { RecordingGap } from './bus-events.js';
export { CaseEngine, type CaseEngineOptions, type RecordingControl } from './case-engine.js';
export { CaseError, type CaseErrorCode } from './case-error.js';
export { type CaseFilter, CaseRepo, type RecordingRow } from './case-repo.js';
export { CasesPart, type CasesPartOptions, type CasesServices } from './cases-part.js';
export { CaseHistory } from './history.js';
export { type LiveListener, LiveStateStore } from './live-state.js';
export { type CaseDurations, type PredictionInput, predict } from './predictions.js';
export * from './records.js';
export { SearchResult, searchCases } from './search.js';
export { CaseStats, caseStats } from './stats.js';
export { effectiveSegments, phaseDurations } from './timeline.js';
