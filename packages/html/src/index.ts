export { escapeXml } from './escape.ts';
export { facts, table, figure, grid, notice, details, pre, paragraph } from './elements.ts';
export type { Fact } from './elements.ts';
export { renderPage } from './page.ts';
export type { PageOptions, PageSection } from './page.ts';
export { PAGE_CSS } from './styles.ts';
