// The detectors' names, for checking options at start-up; their patterns (detectors.ts) load with
// the redactor, on first use.

/** Names of the built-in detectors, each switchable in `redaction.detectors`. */
export type DetectorName = 'email' | 'phone' | 'creditCard' | 'iban' | 'apiKey' | 'jwt' | 'ip'

/** In the order the rules run (detectors.ts): a JWT before an API key, an email before a phone. */
export const DETECTOR_NAMES: readonly DetectorName[] = [
  'jwt',
  'apiKey',
  'email',
  'creditCard',
  'iban',
  'ip',
  'phone',
]
