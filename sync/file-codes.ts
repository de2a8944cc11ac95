/**
 * Reason codes in file-transfer responses (`reason_code`; 0 = stored). EMQX uses MQTT reason
 * codes; the three below are orsight-central's, and each tells the device to start that file
 * over (its record of acknowledged chunks no longer matches headquarters).
 */
export const FILE_OK = 0;
export const FILE_UNSPECIFIED = 0x80;
export const FILE_CHECKSUM_MISMATCH = 0x83;
export const FILE_MISSING_SEGMENTS = 0x84;
export const FILE_UNKNOWN = 0x85;

export const RESTART_FILE_CODES: ReadonlySet<number> = new Set([
  FILE_CHECKSUM_MISMATCH,
  FILE_MISSING_SEGMENTS,
  FILE_UNKNOWN,
]);
