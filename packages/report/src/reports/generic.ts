import { runSummarySection } from '../sections/summary.ts';
import { lutSection } from '../sections/lut.ts';
import { trainingSection } from '../sections/training.ts';
import { archContent } from '../sections/arch.ts';
import { missing } from '../sections/section.ts';
import type { ReportKind } from './report-kind.ts';

/**
 * For commands without a dedicated kind (`train`): what any run can show — summary, arch.json, the LUT, the training curves.
 */
export const GENERIC_REPORT: ReportKind = {
  command: '*',
  title: 'fbnet run',
  sections: [
    runSummarySection(),
    { id: 'arch', title: 'Architecture', build: (run) => (run.arch ? archContent(run.arch, { caption: 'From arch.json.' }) : missing('no arch.json in the run directory')) },
    lutSection,
    trainingSection,
  ],
};
