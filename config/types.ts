import type { Static } from '@sinclair/typebox';
import type { sourceSchema } from './sections/capture.js';

export type SourceConfig = Static<typeof sourceSchema>;
