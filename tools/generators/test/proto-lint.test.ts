import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceGenerator } from '../src/index.js';
import { WORKSPACE_ROOT, run } from './workspace.js';

const BUF = join(WORKSPACE_ROOT, 'node_modules/.bin/buf');

describe('the generated proto under buf lint STANDARD', () => {
  let dir: string | undefined;

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it.each(['inventory', 'order-audit'])('is clean for %j', async (name) => {
    const tree = createTreeWithEmptyWorkspace();
    await serviceGenerator(tree, { name, skipCodegen: true, skipFormat: true });
    dir = await mkdtemp(join(tmpdir(), 'ballast-proto-lint-'));
    const protos = tree.listChanges().filter((change) => change.path.startsWith('proto/'));
    expect(protos).toHaveLength(1);
    for (const proto of protos) {
      await mkdir(join(dir, dirname(proto.path)), { recursive: true });
      await writeFile(join(dir, proto.path), proto.content!);
    }
    await writeFile(join(dir, 'proto/buf.yaml'), 'version: v2\nlint:\n  use:\n    - STANDARD\n');

    const lint = await run(BUF, ['lint', 'proto'], dir);

    expect(lint.output).toBe('');
    expect(lint.code).toBe(0);
  });

  it('fails the same check when a message is shared between RPCs (the lint really runs)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-proto-lint-'));
    await mkdir(join(dir, 'proto/shared/v1'), { recursive: true });
    await writeFile(
      join(dir, 'proto/shared/v1/shared.proto'),
      'syntax = "proto3";\npackage shared.v1;\nservice SharedService {\n  rpc GetA(Thing) returns (Thing);\n}\nmessage Thing {\n  string id = 1;\n}\n',
    );
    await writeFile(join(dir, 'proto/buf.yaml'), 'version: v2\nlint:\n  use:\n    - STANDARD\n');

    const lint = await run(BUF, ['lint', 'proto'], dir);

    expect(lint.code).not.toBe(0);
    expect(lint.output).toMatch(/RPC request type "Thing" should be named "GetARequest"/);
  });
});
