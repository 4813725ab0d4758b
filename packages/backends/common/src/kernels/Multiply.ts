import { binaryKernel } from './binary.ts';

export const multiplyJs = binaryKernel('Multiply', 'mul');
