import { describe, expect, it } from 'vitest';
import { BallastError } from './ballast-error.js';
import { InvalidOptionError, markInvalidOption } from './invalid-option-error.js';

class ShopError extends BallastError {}
class OutOfStockError extends ShopError {
  constructor(readonly sku: string) {
    super('OUT_OF_STOCK', `no ${sku} left: order fewer or later`, { status: 9 });
  }
}

describe('BallastError', () => {
  it('carries a stable code, the gRPC status, its class name and a cause', () => {
    const cause = new Error('etcd said no');
    const error = new OutOfStockError('ANCHOR-01');
    expect(error).toBeInstanceOf(ShopError);
    expect(error).toBeInstanceOf(BallastError);
    expect(error).toMatchObject({ name: 'OutOfStockError', code: 'OUT_OF_STOCK', status: 9, sku: 'ANCHOR-01' });
    expect(new BallastError('X', 'x', { cause }).cause).toBe(cause);
    expect(new BallastError('X', 'x').status).toBeUndefined();
  });
});

describe('InvalidOptionError', () => {
  it('names the option, the problem and what is allowed', () => {
    const error = new InvalidOptionError('retry.maxRetries', 'is -1', { allowed: 'an integer in [0, 10]' });
    expect(error).toMatchObject({
      name: 'InvalidOptionError',
      code: 'INVALID_OPTION',
      option: 'retry.maxRetries',
      problem: 'is -1',
      allowed: 'an integer in [0, 10]',
    });
    expect(error.message).toBe('option "retry.maxRetries" is -1: allowed values are an integer in [0, 10]');
  });

  it("keeps a package's own code and wording in a subclass", () => {
    class InvalidThingOptionError extends InvalidOptionError {
      constructor(option: string, problem: string) {
        super(option, problem, { code: 'INVALID_THING_OPTION', message: `thing option ${option} ${problem}` });
      }
    }
    const error = new InvalidThingOptionError('size', 'is 0');
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(InvalidThingOptionError);
    expect(new InvalidOptionError('size', 'is 0')).not.toBeInstanceOf(InvalidThingOptionError);
    expect(error).toMatchObject({ name: 'InvalidThingOptionError', code: 'INVALID_THING_OPTION', option: 'size' });
    expect(error.message).toBe('thing option size is 0');
  });
});

describe('markInvalidOption', () => {
  it("gives an error of a package's own hierarchy the shape, and instanceof InvalidOptionError", () => {
    class PumpError extends BallastError {}
    class InvalidPumpOptionError extends PumpError {
      constructor(option: string, problem: string) {
        super('INVALID_PUMP_OPTION', `pump option ${option} ${problem}`);
        markInvalidOption(this, option, problem, 'a positive integer');
      }
    }
    const error = new InvalidPumpOptionError('intervalMs', 'is 0');
    expect(error).toBeInstanceOf(PumpError);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({ option: 'intervalMs', problem: 'is 0', allowed: 'a positive integer' });
    expect(new PumpError('X', 'x')).not.toBeInstanceOf(InvalidOptionError);
    expect(new Error('x')).not.toBeInstanceOf(InvalidOptionError);
  });
});
