import { binaryKernel } from './binary.ts';

export const addJs = binaryKernel('Add', 'add');
