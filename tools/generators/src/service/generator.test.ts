import { readJson, writeJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, ServiceExistsError } from '../errors.js';
import { nextSteps, serviceGenerator } from './generator.js';
import { parseServiceOptions } from './options.js';

const APP_FILES = [
  'README.md',
  'package.json',
  'src/client.ts',
  'src/handler.ts',
  'src/main.ts',
  'test/inventory.test.ts',
  'tsconfig.json',
  'vitest.config.ts',
];

function read(tree: Tree, path: string): string {
  const content = tree.read(path, 'utf-8');
  if (content === null) throw new Error(`${path} was not generated`);
  return content;
}

function filesUnder(tree: Tree, dir: string): string[] {
  return tree.children(dir).flatMap((child) => {
    const path = `${dir}/${child}`;
    return tree.isFile(path) ? [child] : filesUnder(tree, path).map((nested) => `${child}/${nested}`);
  });
}

describe('serviceGenerator', () => {
  let tree: Tree;

  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
    writeJson(tree, 'package.json', {
      name: 'workspace',
      workspaces: ['packages/*', 'apps/*'],
      devDependencies: { 'nice-grpc': '^2.1.18', tsx: '^4.23.15' },
    });
  });

  describe('the proto contract', () => {
    it('declares <name>.v1 with a read, an idempotent write and a server-streaming list', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });
      const proto = read(tree, 'proto/inventory/v1/inventory.proto');

      expect(proto).toContain('package inventory.v1;');
      expect(proto).toContain('service InventoryService {');
      expect(proto).toMatch(
        /rpc GetInventory\(GetInventoryRequest\) returns \(GetInventoryResponse\) \{\s*option idempotency_level = NO_SIDE_EFFECTS;/,
      );
      expect(proto).toMatch(
        /rpc PutInventory\(PutInventoryRequest\) returns \(PutInventoryResponse\) \{\s*option idempotency_level = IDEMPOTENT;/,
      );
      expect(proto).toMatch(
        /rpc ListInventorys\(ListInventorysRequest\) returns \(stream ListInventorysResponse\) \{\s*option idempotency_level = NO_SIDE_EFFECTS;/,
      );
    });

    it('declares one request and one response message per RPC, each once', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });
      const proto = read(tree, 'proto/inventory/v1/inventory.proto');
      const messages = [...proto.matchAll(/^message (\w+) \{/gm)].map((match) => match[1]);

      expect(messages.sort()).toEqual(
        [
          'GetInventoryRequest',
          'GetInventoryResponse',
          'Inventory',
          'ListInventorysRequest',
          'ListInventorysResponse',
          'PutInventoryRequest',
          'PutInventoryResponse',
        ].sort(),
      );
    });

    it('maps a hyphenated name to a lower_snake_case package, directory and stubs path', async () => {
      await serviceGenerator(tree, { name: 'order-audit', skipCodegen: true, skipFormat: true });
      const proto = read(tree, 'proto/order_audit/v1/order_audit.proto');

      expect(proto).toContain('package order_audit.v1;');
      expect(proto).toContain('service OrderAuditService {');
      expect(proto).toContain('OrderAudit order_audit = 1;');
      const handler = read(tree, 'apps/order-audit/src/handler.ts');
      expect(handler).toContain("from '@ballast/stubs/order_audit/v1/order_audit'");
      expect(handler).toContain('export function createOrderAuditHandler(): OrderAuditServiceImplementation');
      expect(handler).toContain('return { orderAudit: record };');
    });
  });

  describe('the workspace package', () => {
    it('writes exactly the package files under apps/<name>', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });

      expect(filesUnder(tree, 'apps/inventory').sort()).toEqual(APP_FILES);
    });

    it('writes a private ESM package named @ballast/app-<name> with start, typecheck and test scripts', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });
      const pkg = readJson(tree, 'apps/inventory/package.json');

      expect(pkg).toMatchObject({ name: '@ballast/app-inventory', private: true, type: 'module' });
      expect(pkg.scripts).toMatchObject({
        start: 'tsx --conditions=@ballast/source src/main.ts',
        typecheck: 'tsc -p tsconfig.json --noEmit',
        test: 'vitest run',
      });
      expect(pkg.dependencies).toEqual({
        '@ballast/rpc': '*',
        '@ballast/stubs': '*',
        'nice-grpc': '^2.1.18',
        tsx: '^4.23.15',
      });
    });

    it('points tsconfig and vitest config at the root files from the default directory', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });

      expect(readJson(tree, 'apps/inventory/tsconfig.json').extends).toBe('../../tsconfig.base.json');
      expect(read(tree, 'apps/inventory/vitest.config.ts')).toContain("from '../../vitest.shared.js'");
    });

    it('points them one level further up from a nested --directory, and adds it to the workspaces', async () => {
      await serviceGenerator(tree, {
        name: 'inventory',
        directory: 'services/internal/',
        skipCodegen: true,
        skipFormat: true,
      });

      expect(readJson(tree, 'services/internal/inventory/tsconfig.json').extends).toBe('../../../tsconfig.base.json');
      expect(read(tree, 'services/internal/inventory/vitest.config.ts')).toContain("from '../../../vitest.shared.js'");
      expect(readJson(tree, 'package.json').workspaces).toEqual(['packages/*', 'apps/*', 'services/internal/*']);
      expect(tree.exists('apps/inventory')).toBe(false);
    });

    it('leaves the workspaces alone when a glob already covers the directory', async () => {
      await serviceGenerator(tree, { name: 'inventory', directory: './apps', skipCodegen: true, skipFormat: true });

      expect(readJson(tree, 'package.json').workspaces).toEqual(['packages/*', 'apps/*']);
      expect(tree.exists('apps/inventory/package.json')).toBe(true);
    });

    it('serves with serve() on the given port and exports a handler, a connect() client and a test', async () => {
      await serviceGenerator(tree, { name: 'inventory', port: 50123, skipCodegen: true, skipFormat: true });
      const main = read(tree, 'apps/inventory/src/main.ts');
      const client = read(tree, 'apps/inventory/src/client.ts');
      const test = read(tree, 'apps/inventory/test/inventory.test.ts');

      expect(main).toContain('Number(process.env.PORT ?? 50123)');
      expect(main).toContain("name: 'inventory'");
      expect(main).toContain('services: [service(InventoryServiceDefinition, createInventoryHandler())]');
      expect(client).toContain('return connect(InventoryServiceDefinition, { endpoints });');
      expect(client).toContain("['127.0.0.1:50123']");
      expect(test).toContain('port: 0');
      expect(test).toContain('handleSignals: false');
      expect(test).toContain('Status.NOT_FOUND');
      expect(test).toContain('cleanups.push(() => server.close());');
      expect(test).toContain('cleanups.push(() => disconnect(client));');
      expect(read(tree, 'apps/inventory/README.md')).toContain('127.0.0.1:50123');
    });

    it('uses port 50061 when none is given', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });

      expect(read(tree, 'apps/inventory/src/main.ts')).toContain('Number(process.env.PORT ?? 50061)');
    });

    it('throws NOT_FOUND and INVALID_ARGUMENT from the handler', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });
      const handler = read(tree, 'apps/inventory/src/handler.ts');

      expect(handler).toContain('new ServerError(Status.NOT_FOUND');
      expect(handler).toContain('new ServerError(Status.INVALID_ARGUMENT');
    });

    it('leaves no template syntax or file suffix behind', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });

      for (const change of tree.listChanges()) {
        expect(change.path).not.toMatch(/\.template$|__\w+__/);
        expect(change.content?.toString('utf-8') ?? '').not.toMatch(/<%|%>/);
      }
    });
  });

  describe('invalid options', () => {
    it('throws InvalidOptionError and writes nothing', async () => {
      const before = tree.listChanges().map((change) => change.path);

      const error = await serviceGenerator(tree, { name: 'inventory', port: 0 }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(tree.listChanges().map((change) => change.path)).toEqual(before);
    });
  });

  describe('existing services', () => {
    it('refuses a name whose proto package exists, and writes nothing', async () => {
      tree.write('proto/inventory/v1/stock.proto', 'syntax = "proto3";\npackage inventory.v1;\n');
      const before = tree.listChanges().map((change) => change.path);

      const error = await serviceGenerator(tree, { name: 'inventory' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ServiceExistsError);
      expect(error).toMatchObject({ code: 'SERVICE_EXISTS', path: 'proto/inventory/v1' });
      expect(tree.listChanges().map((change) => change.path)).toEqual(before);
      expect(tree.exists('apps/inventory')).toBe(false);
    });

    it('refuses a name whose project directory exists', async () => {
      tree.write('apps/inventory/notes.txt', 'mine');

      const error = await serviceGenerator(tree, { name: 'inventory' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ServiceExistsError);
      expect(error).toMatchObject({ path: 'apps/inventory' });
      expect(read(tree, 'apps/inventory/notes.txt')).toBe('mine');
      expect(tree.exists('proto/inventory')).toBe(false);
    });

    it('refuses a name whose package name another project already has', async () => {
      writeJson(tree, 'packages/stock/package.json', { name: '@ballast/app-inventory' });

      const error = await serviceGenerator(tree, { name: 'inventory' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ServiceExistsError);
      expect(error).toMatchObject({ path: 'packages/stock' });
      expect(tree.exists('apps/inventory')).toBe(false);
    });

    it('refuses to generate the same service twice', async () => {
      await serviceGenerator(tree, { name: 'inventory', skipCodegen: true, skipFormat: true });
      const handler = read(tree, 'apps/inventory/src/handler.ts');

      const error = await serviceGenerator(tree, { name: 'inventory', directory: 'services' }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ServiceExistsError);
      expect(read(tree, 'apps/inventory/src/handler.ts')).toBe(handler);
      expect(tree.exists('services/inventory')).toBe(false);
    });
  });

  describe('the next-steps message', () => {
    it('says to link the package with npm install, then test it with nx', () => {
      const message = nextSteps(parseServiceOptions({ name: 'inventory', port: 50070 }), false);

      expect(message).toContain('npm install    # links @ballast/app-inventory into node_modules');
      expect(message).toContain('npx nx test @ballast/app-inventory');
      expect(message).toContain('127.0.0.1:50070');
      expect(message.indexOf('npm install')).toBeLessThan(message.indexOf('npx nx test'));
      expect(message).not.toContain('workspaces');
      expect(message).not.toContain('npm run codegen');
    });

    it('mentions an added workspaces glob and skipped codegen', () => {
      const options = parseServiceOptions({ name: 'inventory', directory: 'services', skipCodegen: true });

      const message = nextSteps(options, true);

      expect(message).toContain('Added "services/*" to the root package.json workspaces.');
      expect(message).toContain('run npm run codegen');
    });
  });
});
