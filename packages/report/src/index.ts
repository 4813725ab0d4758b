// Reports
export { buildReport, buildV1Report, writeReport, renderReport, buildSections, reportKindFor, REPORT_FILE } from './report.ts';
export type { ReportKind, SearchCommand } from './reports/report-kind.ts';
export { REPORT_KINDS, registerReportKind } from './reports/registry.ts';
export { V1_REPORT, v1Phases } from './reports/v1.ts';
export { V2_REPORT, v2Phases } from './reports/v2.ts';
export { V3_REPORT, v3Phases } from './reports/v3.ts';
export { GENERIC_REPORT } from './reports/generic.ts';

// Run data
export { loadRun, eventsOf, lastEventOf, byEpoch, runJson } from './run/run-data.ts';
export type { RunData, LoggedEvent } from './run/run-data.ts';
export { supernetView, trainView, stageSpans, logSpanSeconds } from './run/views.ts';
export type { SupernetView, SupernetEpochView, ArchSummaryView, TrainView, StageSpan } from './run/views.ts';
export { v2View, choiceOptions, v2ArchText } from './run/v2-view.ts';
export type { V2View, V2ArchView, V2EpochView, V2DistributionsView, V2StartedView } from './run/v2-view.ts';
export { v3View, archPointText, recipePointText } from './run/v3-view.ts';
export type { V3View, CandidateView, EarlyStopView, GenerationView, ScoredView, JointPointView } from './run/v3-view.ts';
export { archLatencyFrom } from './run/arch-latency.ts';
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
export { lutSection, lutFacts } from './sections/lut.ts';
export { trainingSection } from './sections/training.ts';
export { v1Context } from './sections/v1-context.ts';
export type { V1Context } from './sections/v1-context.ts';
export { distributionContent } from './sections/distribution.ts';
export type { DistributionOptions, DistributionPanel } from './sections/distribution.ts';
export { curvesContent, seriesOf, hasPoints, percentDomain } from './sections/curves.ts';
export type { CurvePanel } from './sections/curves.ts';
export { scatterContent } from './sections/scatter.ts';
export { candidateColors } from './sections/candidate-colors.ts';
export { v2Context } from './sections/v2-context.ts';
export type { V2Context, V2Dimension } from './sections/v2-context.ts';
export { v2ArchSection, v2LutSection } from './sections/v2-arch.ts';
export { v2ChannelsSection, v2BlocksSection } from './sections/v2-distributions.ts';
export { v2CurvesSection } from './sections/v2-curves.ts';
export { v2SampledSection } from './sections/v2-sampled.ts';
export { v3Context } from './sections/v3-context.ts';
export type { V3Context, PointCost } from './sections/v3-context.ts';
export { v3ArchSection } from './sections/v3-arch.ts';
export { v3EarlyStopSection } from './sections/v3-early-stop.ts';
export { v3CoarseSection, v3PredictorSection } from './sections/v3-coarse.ts';
export { v3ParetoSection } from './sections/v3-pareto.ts';
export { v3EvolutionSection } from './sections/v3-evolution.ts';

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
