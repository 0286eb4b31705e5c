import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatFiles,
  generateFiles,
  getProjects,
  logger,
  offsetFromRoot,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { CodegenFailedError, ServiceExistsError } from '../errors.js';
import { parseServiceOptions, type ServiceOptions } from './options.js';
import type { ServiceGeneratorSchema } from './schema.js';
import { dependencyVersions, ensureWorkspaceCovers } from './workspace-package.js';

const FILES = fileURLToPath(new URL('./files', import.meta.url));

/**
 * `nx g @ballast/tools:service <name>`: writes the proto contract and a workspace package with serve(),
 * a handler, a connect() client, a README and a test. The returned callback (skipped on --dry-run)
 * regenerates the stubs and prints the next steps.
 */
export async function serviceGenerator(tree: Tree, schema: ServiceGeneratorSchema): Promise<GeneratorCallback> {
  const options = parseServiceOptions(schema);
  assertNewService(tree, options);

  const substitutions = { ...options, offset: offsetFromRoot(options.projectRoot), versions: dependencyVersions(tree) };
  generateFiles(tree, join(FILES, 'proto'), options.protoDir, substitutions);
  generateFiles(tree, join(FILES, 'app'), options.projectRoot, substitutions);
  const addedGlob = ensureWorkspaceCovers(tree, options.directory, options.projectRoot);
  if (!options.skipFormat) await formatFiles(tree);

  return () => {
    if (!options.skipCodegen) runCodegen(tree.root);
    logger.info(nextSteps(options, addedGlob));
  };
}

export default serviceGenerator;

function assertNewService(tree: Tree, options: ServiceOptions): void {
  // Any file in proto/<snake>/v1 means that proto package is taken, even by a differently named file.
  if (tree.exists(options.protoDir) && tree.children(options.protoDir).length > 0) {
    throw new ServiceExistsError(options.name, options.protoDir);
  }
  if (tree.exists(options.projectRoot)) throw new ServiceExistsError(options.name, options.projectRoot);
  for (const [name, project] of safeProjects(tree)) {
    if (name === options.packageName) throw new ServiceExistsError(options.name, project.root);
  }
}

function safeProjects(tree: Tree): ReturnType<typeof getProjects> {
  try {
    return getProjects(tree);
  } catch {
    // A workspace whose project files do not parse still gets the path checks above.
    return new Map();
  }
}

function runCodegen(root: string): void {
  logger.info('Regenerating stubs: npm run codegen');
  const result = spawnSync('npm', ['run', 'codegen'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new CodegenFailedError(result.status);
}

export function nextSteps(options: ServiceOptions, addedGlob: boolean): string {
  return [
    '',
    `Created ${options.packageName} in ${options.projectRoot} and its contract ${options.protoFile}.`,
    ...(addedGlob ? [`Added "${options.directory}/*" to the root package.json workspaces.`] : []),
    ...(options.skipCodegen ? ['Stubs were not regenerated (--skipCodegen): run npm run codegen.'] : []),
    'Next steps:',
    `  npm install    # links ${options.packageName} into node_modules`,
    `  npx nx test ${options.packageName}`,
    `  npm run start -w ${options.packageName}    # serves on 127.0.0.1:${options.port}`,
    '',
  ].join('\n');
}
