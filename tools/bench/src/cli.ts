import { cpus } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseBenchReport, type BenchReport } from './bench-report.js';
import { loadScenarios, repoRoot } from './registry.js';
import { writeReport } from './report.js';
import type { BenchRecord } from '@ballast/bench-kit';
import { formatTable } from '@ballast/bench-kit';

/** Scenarios that must report no failed calls (the design says there must be none). */
const ZERO_FAILURES = new Set(['crash', 'drain', 'overhead']);

const usage = `Usage: npm run bench -- [scenario ...] [--quick] [--json FILE] [--report] [--from FILE] [--list]

Runs every scenario, or the ones named. --quick shortens each (CI smoke); --json writes the
results as JSON (shape in shared BENCH.md); --report regenerates bench/REPORT.md and its SVG
charts from the scenarios just run, or, with --from FILE, from a results file written by --json
(nothing runs then); --list prints the scenario names.`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        json: { type: 'string' },
        list: { type: 'boolean', default: false },
        report: { type: 'boolean', default: false },
        from: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const reportDir = join(repoRoot, 'bench');
  if (values.from !== undefined) {
    if (!values.report || positionals.length > 0) {
      console.error(`--from FILE only regenerates the report: use it as --report --from FILE, with no scenario names.`);
      return 2;
    }
    const saved = parseBenchReport(await readFile(values.from, 'utf8'), values.from);
    announce(await writeReport(saved, reportDir, `npm run bench -- --report --from ${values.from}`));
    return 0;
  }
  const scenarios = await loadScenarios();
  if (values.list) {
    for (const scenario of scenarios.values()) console.log(`${scenario.name.padEnd(14)} ${scenario.description}`);
    return 0;
  }
  const unknown = positionals.filter((name) => !scenarios.has(name));
  if (unknown.length > 0) {
    console.error(`Unknown scenario ${unknown.join(', ')}. Known: ${[...scenarios.keys()].join(', ')}.`);
    return 2;
  }
  const selected = positionals.length > 0 ? positionals : [...scenarios.keys()];

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  const report: BenchReport = {
    node: process.version,
    cpus: cpus().length,
    startedAt: new Date().toISOString(),
    quick: values.quick,
    scenarios: [],
  };
  let failed = false;
  for (const name of selected) {
    const scenario = scenarios.get(name)!;
    const started = Date.now();
    const progress = (message: string) => {
      const line = `[${name}] ${message} (${((Date.now() - started) / 1000).toFixed(0)} s)`;
      if (process.stdout.isTTY) process.stdout.write(`\r\x1b[K${line}`);
      else console.log(line);
    };
    progress('starting');
    const startedAt = new Date().toISOString();
    try {
      const result = await scenario.run({ quick: values.quick, progress, signal: controller.signal });
      if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
      console.log(`\n## ${name} — ${scenario.description}\nparams: ${JSON.stringify(result.params)}\n`);
      console.log(formatTable(result.results));
      for (const anchor of result.anchors ?? []) console.log(`  anchor: ${anchor}`);
      report.scenarios.push({
        scenario: name,
        description: scenario.description,
        node: report.node,
        cpus: report.cpus,
        startedAt,
        ...result,
      });
      const failures = result.results.filter(
        (r: BenchRecord) => typeof r.failed_calls === 'number' && r.failed_calls > 0,
      );
      if (ZERO_FAILURES.has(name) && failures.length > 0) {
        console.error(`[${name}] reported failed calls where the design allows none`);
        failed = true;
      }
    } catch (error) {
      console.error(`\n[${name}] failed: ${(error as Error).stack ?? error}`);
      failed = true;
    }
    if (controller.signal.aborted) break;
  }
  if (values.json) {
    await mkdir(dirname(values.json), { recursive: true });
    await writeFile(values.json, JSON.stringify(report, null, 2) + '\n');
    console.log(`\nwrote ${values.json}`);
  }
  if (values.report) {
    const args = process.argv.slice(2).join(' ');
    announce(await writeReport(report, reportDir, `npm run bench -- ${args}`));
  }
  return failed ? 1 : 0;
}

function announce(files: readonly string[]): void {
  for (const file of files) console.log(`wrote ${relative(process.cwd(), file)}`);
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.stack ?? error.message);
    process.exit(1);
  },
);
