import { reductionKernel } from './reduction.ts';

export const sumJs = reductionKernel('Sum');
