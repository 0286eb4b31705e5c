import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from '@ballast/bench-kit';

/** The repository root (scenarios are found under it; the report goes to its bench/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const root = repoRoot;

/** Files that may hold scenarios: {packages,apps}/<name>/bench/*.ts and tools/bench/scenarios/*.ts. */
async function scenarioFiles(): Promise<string[]> {
  const files: string[] = [];
  const add = async (dir: string) => {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) files.push(join(dir, entry));
  };
  for (const parent of ['packages', 'apps']) {
    for (const name of await readdir(join(root, parent)).catch(() => [] as string[])) {
      await add(join(root, parent, name, 'bench'));
    }
  }
  await add(join(root, 'tools', 'bench', 'scenarios'));
  return files;
}

/** Every scenario by name, in a stable order. A file without an exported `scenario` is skipped. */
export async function loadScenarios(): Promise<Map<string, Scenario>> {
  const scenarios = new Map<string, Scenario>();
  for (const file of (await scenarioFiles()).sort()) {
    const module = (await import(pathToFileURL(file).href)) as { scenario?: Scenario };
    const scenario = module.scenario;
    if (!scenario) continue;
    if (scenarios.has(scenario.name)) throw new Error(`two scenarios are named "${scenario.name}" (${file})`);
    scenarios.set(scenario.name, scenario);
  }
  return scenarios;
}
