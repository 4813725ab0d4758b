import { binaryKernel } from './binary.ts';

export const realDivJs = binaryKernel('RealDiv', 'div');
