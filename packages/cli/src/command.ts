import { FbnetError } from '@fbnet/core';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export function usageError(usage: string, why?: string): FbnetError {
  return new FbnetError('USAGE', `${why ? why + '\n' : ''}usage: ${usage}`);
}
