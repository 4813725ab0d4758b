export { main } from './main.ts';
export { makeOutput, progressBar, formatDuration, formatCount } from './output.ts';
export type { Output } from './output.ts';
