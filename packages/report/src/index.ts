// Reports
export { buildReport, buildV1Report, writeReport, renderReport, buildSections, reportKindFor, REPORT_FILE } from './report.ts';
export type { ReportKind, SearchCommand } from './reports/report-kind.ts';
export { REPORT_KINDS, registerReportKind } from './reports/registry.ts';
export { V1_REPORT, v1Phases } from './reports/v1.ts';
export { GENERIC_REPORT } from './reports/generic.ts';

// Run data
export { loadRun, eventsOf, lastEventOf, byEpoch } from './run/run-data.ts';
export type { RunData, LoggedEvent } from './run/run-data.ts';
export { supernetView, trainView, stageSpans, logSpanSeconds } from './run/views.ts';
export type { SupernetView, SupernetEpochView, ArchSummaryView, TrainView, StageSpan } from './run/views.ts';
export { findSearchSpace, lutLayerMatrix } from './run/lut-matrix.ts';
export type { LutLayerMatrix, LutLayerRow, LutCell } from './run/lut-matrix.ts';
export { searchableBlockIndex } from './run/space-layout.ts';

// Sections: run-level builders and reusable bodies
export { runSection, ok, missing } from './html/section.ts';
export type { ReportSection, SectionBuilder, SectionContent } from './html/section.ts';
export { renderPage } from './html/page.ts';
export type { PageOptions } from './html/page.ts';
export { facts, table, figure, grid, notice, details, pre, paragraph } from './html/elements.ts';
export type { Fact } from './html/elements.ts';
export { runSummarySection, headlineFigures } from './sections/summary.ts';
export type { Phase, SummaryOptions, HeadlineFigures } from './sections/summary.ts';
export { derivedArchSection, archContent } from './sections/arch.ts';
export type { ArchContentOptions } from './sections/arch.ts';
export { thetaSection } from './sections/theta.ts';
export { supernetCurvesSection } from './sections/supernet-curves.ts';
export { sampledArchsSection } from './sections/sampled-archs.ts';
export { lutSection } from './sections/lut.ts';
export { trainingSection } from './sections/training.ts';
export { v1Context } from './sections/v1-context.ts';
export type { V1Context } from './sections/v1-context.ts';
export { distributionContent } from './sections/distribution.ts';
export type { DistributionOptions, DistributionPanel } from './sections/distribution.ts';
export { curvesContent, seriesOf, hasPoints } from './sections/curves.ts';
export type { CurvePanel } from './sections/curves.ts';
export { scatterContent } from './sections/scatter.ts';
export { candidateColors } from './sections/candidate-colors.ts';

// SVG chart primitives
export { lineChart } from './svg/line-chart.ts';
export type { LineChartOptions, LineSeries } from './svg/line-chart.ts';
export { scatterPlot } from './svg/scatter-plot.ts';
export type { ScatterOptions, ScatterPoint, HighlightPoint } from './svg/scatter-plot.ts';
export { paretoFront } from './svg/pareto.ts';
export type { ParetoSense } from './svg/pareto.ts';
export { heatmap } from './svg/heatmap.ts';
export type { HeatmapOptions } from './svg/heatmap.ts';
export { stackedChart } from './svg/stacked-chart.ts';
export type { StackedChartOptions } from './svg/stacked-chart.ts';
export { archDiagram, diagramBlocks, opKind, OP_KIND_COLORS } from './svg/arch-diagram.ts';
export type { ArchDiagramOptions, DiagramBlock, OpKind } from './svg/arch-diagram.ts';
export { linearScale, niceTicks, niceStep, extent, tickLabel } from './svg/scale.ts';
export type { LinearScale, Ticks } from './svg/scale.ts';
export { sequential, categorical, textOn, CATEGORICAL } from './svg/colors.ts';
export type { SequentialScheme } from './svg/colors.ts';
export { escapeXml, num, fixed, percent, siCount, ms, duration } from './svg/format.ts';
