/**
 * The laparoscopic cholecystectomy procedure as in Cholec80: seven phases, the transitions
 * seen in practice (including returns to an earlier phase) and typical durations. The
 * generator plays cases from it and the demo model's manifest is written from it.
 */
export interface ProcedurePhase {
  id: string;
  displayName: string;
  color: string;
  typicalDurationS: number;
}

export const CHOLEC_PROCEDURE = 'laparoscopic-cholecystectomy';

export const CHOLEC_PHASES: readonly ProcedurePhase[] = [
  { id: 'preparation', displayName: 'Preparation', color: '#8e9aaf', typicalDurationS: 120 },
  {
    id: 'calot_triangle_dissection',
    displayName: 'Calot triangle dissection',
    color: '#3fa7d6',
    typicalDurationS: 900,
  },
  { id: 'clipping_cutting', displayName: 'Clipping and cutting', color: '#f4a259', typicalDurationS: 180 },
  {
    id: 'gallbladder_dissection',
    displayName: 'Gallbladder dissection',
    color: '#59cd90',
    typicalDurationS: 720,
  },
  {
    id: 'gallbladder_packaging',
    displayName: 'Gallbladder packaging',
    color: '#ee6352',
    typicalDurationS: 110,
  },
  {
    id: 'cleaning_coagulation',
    displayName: 'Cleaning and coagulation',
    color: '#b388eb',
    typicalDurationS: 180,
  },
  {
    id: 'gallbladder_retraction',
    displayName: 'Gallbladder retraction',
    color: '#fac05e',
    typicalDurationS: 90,
  },
];

export const CHOLEC_OUT_OF_BODY = 'out_of_body';

/** Allowed transitions (the phase grammar). Returns: clipping → Calot, cleaning ↔ packaging, retraction → cleaning. */
export const CHOLEC_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  preparation: ['calot_triangle_dissection'],
  calot_triangle_dissection: ['clipping_cutting'],
  clipping_cutting: ['calot_triangle_dissection', 'gallbladder_dissection'],
  gallbladder_dissection: ['gallbladder_packaging', 'cleaning_coagulation'],
  gallbladder_packaging: ['cleaning_coagulation', 'gallbladder_retraction'],
  cleaning_coagulation: ['gallbladder_packaging', 'gallbladder_retraction'],
  gallbladder_retraction: ['cleaning_coagulation'],
};

export const CHOLEC_START_PHASES: readonly string[] = ['preparation'];
