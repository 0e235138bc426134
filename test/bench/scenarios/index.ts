import { BENIGN } from './benign';
import { HARMFUL, type Scenario } from './gauntlet';

/** Every lab scenario, harmful and benign alternating so no stretch of the run favours one kind. */
export const GAUNTLET: Scenario[] = Array.from({ length: Math.max(HARMFUL.length, BENIGN.length) }, (_, i) => [HARMFUL[i], BENIGN[i]]).flat().filter((s): s is Scenario => s !== undefined);
