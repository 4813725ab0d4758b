import { Registry } from '@fbnet/core';
import type { ReportKind } from './report-kind.ts';
import { V1_REPORT } from './v1.ts';
import { V2_REPORT } from './v2.ts';
import { V3_REPORT } from './v3.ts';
import { PIPELINE_REPORT } from './pipeline.ts';

/**
 * Report kinds by `config.command`: V1, V2 and V3 searches here; other packages may add
 * theirs with `registerReportKind` (a kind's sections reuse the generic builders:
 * runSummarySection, archContent, distributionContent, curvesContent, scatterContent,
 * lutSection, trainingSection).
 */
export const REPORT_KINDS = new Registry<ReportKind>('report kind');
REPORT_KINDS.register(V1_REPORT.command, V1_REPORT);
REPORT_KINDS.register(V2_REPORT.command, V2_REPORT);
REPORT_KINDS.register(V3_REPORT.command, V3_REPORT);
REPORT_KINDS.register(PIPELINE_REPORT.command, PIPELINE_REPORT);

/** Register a report kind (throws if the command already has one). */
export function registerReportKind(kind: ReportKind): void {
  REPORT_KINDS.register(kind.command, kind);
}
