import { describe, expect, it } from 'vitest';
import { classify, ENDPOINT_FAILURE_CODES, NEVER_ENDPOINT_FAILURE_CODES, RETRYABLE_CODES } from './signal.js';

describe('classify: the one signal taxonomy', () => {
  it('sorts every gRPC status code into one class', () => {
    const byClass: Record<string, number[]> = {};
    for (let code = 0; code <= 16; code++) (byClass[classify(code)] ??= []).push(code);
    expect(byClass).toEqual({
      ok: [0],
      // CANCELLED the caller did not ask for (a reset), UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE
      'endpoint-failing': [1, 2, 4, 13, 14],
      'endpoint-overloaded': [8],
      // INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, ABORTED,
      // OUT_OF_RANGE, UNIMPLEMENTED, DATA_LOSS, UNAUTHENTICATED
      'request-problem': [3, 5, 6, 7, 9, 10, 11, 12, 15, 16],
    });
    expect(classify(99)).toBe('request-problem');
  });

  it('an attempt this side cancelled is no signal, whatever status it ended with', () => {
    for (const code of [1, 4, 14]) expect(classify(code, true)).toBe('cancelled');
  });

  it('derives the failure and retry codes, and shedding is never a failure', () => {
    expect(ENDPOINT_FAILURE_CODES).toEqual([1, 2, 4, 13, 14]);
    expect(NEVER_ENDPOINT_FAILURE_CODES).toEqual([8]);
    expect(RETRYABLE_CODES).toEqual([1, 2, 13, 14, 8]);
    expect(ENDPOINT_FAILURE_CODES).not.toContain(8);
  });
});
