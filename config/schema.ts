import { type Static, Type } from '@sinclair/typebox';
import { captureSection } from './sections/capture.js';
import { authSection, casesSection } from './sections/cases.js';
import { daemonSection, deviceSection, httpSection, logSection, storageSection } from './sections/core.js';
import { inferenceSection } from './sections/inference.js';
import { syncSection } from './sections/sync.js';

/** The whole configuration. Keys are snake_case, as in the YAML file. */
export const configSchema = Type.Object(
  {
    device: deviceSection,
    http: httpSection,
    storage: storageSection,
    log: logSection,
    daemon: daemonSection,
    capture: captureSection,
    inference: inferenceSection,
    cases: casesSection,
    auth: authSection,
    sync: syncSection,
  },
  { additionalProperties: false, default: {} },
);

export type Config = Static<typeof configSchema>;
