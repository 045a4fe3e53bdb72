export type { CellValue, ReportColumn, ReportDocument, ReportFormat } from './document';
export { renderReport, reportFilename, type RenderedReport } from './render';
export { uploadStream } from './r2-upload';
export { csvStream } from './csv';
export { xlsxStream } from './xlsx';
export { pdfBytes } from './pdf';
