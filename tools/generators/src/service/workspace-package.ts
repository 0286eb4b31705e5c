import { readJson, updateJson, type Tree } from '@nx/devkit';

interface RootPackageJson {
  workspaces?: string[] | { packages?: string[] };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Versions the generated package.json declares; taken from the workspace root when it pins them. */
export interface DependencyVersions {
  readonly niceGrpc: string;
  readonly tsx: string;
}

const FALLBACK_VERSIONS: DependencyVersions = { niceGrpc: '^2.1.18', tsx: '^4.23.15' };

export function dependencyVersions(tree: Tree): DependencyVersions {
  if (!tree.exists('package.json')) return FALLBACK_VERSIONS;
  const root = readJson<RootPackageJson>(tree, 'package.json');
  const pinned = { ...root.dependencies, ...root.devDependencies };
  return {
    niceGrpc: pinned['nice-grpc'] ?? FALLBACK_VERSIONS.niceGrpc,
    tsx: pinned['tsx'] ?? FALLBACK_VERSIONS.tsx,
  };
}

/**
 * npm links (and Nx sees) a package only when a root `workspaces` glob covers it. Adds `<directory>/*`
 * when none does; returns whether the root package.json changed.
 */
export function ensureWorkspaceCovers(tree: Tree, directory: string, projectRoot: string): boolean {
  if (!tree.exists('package.json')) return false;
  const root = readJson<RootPackageJson>(tree, 'package.json');
  const globs = Array.isArray(root.workspaces) ? root.workspaces : (root.workspaces?.packages ?? []);
  if (globs.some((glob) => covers(glob, projectRoot))) return false;
  updateJson<RootPackageJson>(tree, 'package.json', (json) => {
    const entry = `${directory}/*`;
    if (Array.isArray(json.workspaces) || json.workspaces === undefined) {
      json.workspaces = [...(json.workspaces ?? []), entry];
    } else {
      json.workspaces.packages = [...(json.workspaces.packages ?? []), entry];
    }
    return json;
  });
  return true;
}

// Handles the glob shapes workspaces use in practice: an exact path, `dir/*` and `dir/**`.
function covers(glob: string, projectRoot: string): boolean {
  const pattern = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  if (pattern === projectRoot) return true;
  const parent = projectRoot.slice(0, projectRoot.lastIndexOf('/'));
  if (pattern.endsWith('/*')) return pattern.slice(0, -2) === parent;
  if (pattern.endsWith('/**')) return `${projectRoot}/`.startsWith(`${pattern.slice(0, -3)}/`);
  return false;
}
