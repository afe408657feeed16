/**
 * The reporting subsystem's entry point: the standard set of reporters and writeReports.
 * Reporters are peers behind the Reporter interface (harness/results/model.ts); the CLI picks
 * this set, a test or an embedding tool can pass its own.
 */
import type { Reporter } from '../results/model.ts';
import { type ConsoleReporterOptions, consoleReporter } from './console.ts';
import { htmlReporter } from './html.ts';
import { jsonReporter } from './json.ts';
import { type JunitOptions, junitReporter } from './junit.ts';
import { type MarkdownOptions, markdownReporter } from './markdown.ts';
import { type PrometheusOptions, prometheusReporter } from './prometheus.ts';

export { consoleReporter } from './console.ts';
export { htmlReporter, renderHtmlReport } from './html.ts';
export { jsonReporter, toReportJson } from './json.ts';
export { junitReporter, toJunitXml } from './junit.ts';
export { markdownReporter, toMarkdown } from './markdown.ts';
export { prometheusReporter, pushRun, toPrometheusText } from './prometheus.ts';
export { pointLatest, type WrittenReports, writeReports } from './write-run.ts';

export interface StandardReportersOptions {
  /** Console progress; `false` for none (e.g. --quiet, or when stdout carries JSON). */
  console?: ConsoleReporterOptions | false;
  junit?: JunitOptions;
  markdown?: MarkdownOptions;
  prometheus?: PrometheusOptions;
}

/** Every file reporter, with the console last so its closing lines follow the written files. */
export function standardReporters(options: StandardReportersOptions = {}): Reporter[] {
  const reporters = [
    jsonReporter(),
    junitReporter(options.junit),
    markdownReporter(options.markdown),
    htmlReporter(),
    prometheusReporter(options.prometheus),
  ];
  if (options.console !== false) reporters.push(consoleReporter(options.console));
  return reporters;
}
