import { binaryKernel } from './binary.ts';

export const subJs = binaryKernel('Sub', 'sub');
