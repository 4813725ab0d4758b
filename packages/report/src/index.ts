// Reports
export { buildReport, buildV1Report, writeReport, renderReport, buildSections, reportKindFor, REPORT_FILE } from './report.ts';
export type { ReportKind, SearchCommand } from './reports/report-kind.ts';
export { REPORT_KINDS, registerReportKind } from './reports/registry.ts';
export { V1_REPORT, v1Phases } from './reports/v1.ts';
export { V2_REPORT, v2Phases } from './reports/v2.ts';
export { V3_REPORT, v3Phases } from './reports/v3.ts';
export { GENERIC_REPORT } from './reports/generic.ts';
export { reportStage } from './report-stage.ts';
export type { ReportStageInput, ReportStageResult } from './report-stage.ts';

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

// Sections: run-level builders and reusable bodies (page elements live in @fbnet/html)
export { runSection, ok, missing } from './sections/section.ts';
export type { ReportSection, SectionBuilder, SectionContent } from './sections/section.ts';
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
export { curvesContent, seriesOf, percentDomain } from './sections/curves.ts';
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

// Arch diagrams (HTML and CSS)
export { archDiagram, diagramBlocks, opKind, OP_KIND_COLORS, ARCH_CSS } from './sections/arch-diagram.ts';
export type { ArchDiagramOptions, DiagramBlock, OpKind } from './sections/arch-diagram.ts';

// Charts: Vega-Lite specs, rendered to inline SVG by Vega in Node
export { renderChart, CHART_FONT } from './charts/render.ts';
export type { Chart } from './charts/render.ts';
export { chartFigure } from './charts/chart-figure.ts';
export { lineChart, hasPoints } from './charts/line-chart.ts';
export type { LineChartOptions, LineSeries } from './charts/line-chart.ts';
export { scatterPlot } from './charts/scatter-plot.ts';
export type { ScatterOptions, ScatterPoint, HighlightPoint } from './charts/scatter-plot.ts';
export { paretoFront } from './charts/pareto-front.ts';
export type { ParetoSense } from './charts/pareto-front.ts';
export { heatmap } from './charts/heatmap.ts';
export type { HeatmapOptions } from './charts/heatmap.ts';
export { stackedChart } from './charts/stacked-chart.ts';
export type { StackedChartOptions, StackedPanel } from './charts/stacked-chart.ts';
export { categorical, CATEGORICAL } from './charts/palette.ts';
export type { SchemeRange } from './charts/palette.ts';

// Numbers and durations as the report prints them
export { fixed, percent, siCount, ms, duration } from './format.ts';
