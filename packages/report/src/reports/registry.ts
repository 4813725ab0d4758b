import { Registry } from '@fbnet/core';
import type { ReportKind } from './report-kind.ts';
import { V1_REPORT } from './v1.ts';
import { V2_REPORT } from './v2.ts';
import { V3_REPORT } from './v3.ts';

/**
 * Report kinds by `config.command`. Extension point for V2/V3: write `reports/v2.ts` exporting
 * a `ReportKind` with command 'search v2' whose sections reuse the generic builders
 * (runSummarySection, derivedArchSection/archContent, distributionContent for channel choices
 * over epochs, curvesContent for effective FLOPs, scatterContent with `diagonal` or `pareto`,
 * lutSection, trainingSection) and register it here, next to V1.
 */
export const REPORT_KINDS = new Registry<ReportKind>('report kind');
REPORT_KINDS.register(V1_REPORT.command, V1_REPORT);
REPORT_KINDS.register(V2_REPORT.command, V2_REPORT);
REPORT_KINDS.register(V3_REPORT.command, V3_REPORT);

/** Register a report kind (throws if the command already has one). */
export function registerReportKind(kind: ReportKind): void {
  REPORT_KINDS.register(kind.command, kind);
}
