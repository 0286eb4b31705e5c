import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors.js';
import { parseServiceOptions } from './options.js';

function rejection(raw: Parameters<typeof parseServiceOptions>[0]): InvalidOptionError {
  try {
    parseServiceOptions(raw);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error(`options were accepted: ${JSON.stringify(raw)}`);
}

describe('parseServiceOptions', () => {
  it('derives every name from a hyphenated service name, with defaults', () => {
    expect(parseServiceOptions({ name: 'order-audit' })).toEqual({
      name: 'order-audit',
      snake: 'order_audit',
      pascal: 'OrderAudit',
      camel: 'orderAudit',
      port: 50061,
      directory: 'apps',
      projectRoot: 'apps/order-audit',
      packageName: '@ballast/app-order-audit',
      protoPackage: 'order_audit.v1',
      protoDir: 'proto/order_audit/v1',
      protoFile: 'proto/order_audit/v1/order_audit.proto',
      stubsModule: '@ballast/stubs/order_audit/v1/order_audit',
      skipCodegen: false,
      skipFormat: false,
    });
  });

  it('returns a frozen value', () => {
    expect(Object.isFrozen(parseServiceOptions({ name: 'inventory' }))).toBe(true);
  });

  it('normalises the directory to POSIX separators without ./ or a trailing slash', () => {
    expect(parseServiceOptions({ name: 'inventory', directory: './services\\internal/' }).projectRoot).toBe(
      'services/internal/inventory',
    );
  });

  it.each([
    ['Inventory', /kebab-case/],
    ['order_audit', /kebab-case/],
    ['1inventory', /kebab-case/],
    ['inventory-', /kebab-case/],
    ['order--audit', /kebab-case/],
    ['order-2', /kebab-case/],
    ['', /kebab-case/],
    ['a'.repeat(41), /at most 40/],
    ['message-fns', /reserved/],
    ['map', /reserved/],
    ['status', /reserved/],
    ['inventory-service', /use "inventory"/],
  ])('rejects the name %j', (name, message) => {
    const error = rejection({ name });

    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'name' });
    expect(error.message).toMatch(/^--name: /);
    expect(error.message).toMatch(message);
  });

  it('rejects a missing name', () => {
    expect(rejection({} as Parameters<typeof parseServiceOptions>[0])).toMatchObject({ option: 'name' });
  });

  it.each([0, 65536, -1, 1.5, Number.NaN])('rejects the port %j', (port) => {
    const error = rejection({ name: 'inventory', port });

    expect(error).toMatchObject({ option: 'port' });
    expect(error.message).toMatch(/1 to 65535/);
  });

  it.each([1, 65535])('accepts the port %j', (port) => {
    expect(parseServiceOptions({ name: 'inventory', port }).port).toBe(port);
  });

  it.each([
    ['/tmp/apps', /absolute/],
    ['C:\\apps', /absolute/],
    ['..', /not below the workspace root/],
    ['../elsewhere', /not below the workspace root/],
    ['apps/../../elsewhere', /not below the workspace root/],
    ['.', /not below the workspace root/],
    ['', /must not be empty/],
    ['apps/node_modules', /node_modules/],
    ['apps/my apps', /unusable segment/],
  ])('rejects the directory %j', (directory, message) => {
    const error = rejection({ name: 'inventory', directory });

    expect(error).toMatchObject({ option: 'directory' });
    expect(error.message).toMatch(message);
  });
});
