import { reductionKernel } from './reduction.ts';

export const meanJs = reductionKernel('Mean');
