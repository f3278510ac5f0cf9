import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { DynamiqError, mappingFailures, toApplicationFailure } from './index.js';

class WidgetMissingError extends DynamiqError {
  override name = 'WidgetMissingError';
  constructor(readonly widgetId: string) {
    super('dynamiq.widget.not_found', `No widget ${widgetId}; create it first.`, { status: 404 });
  }
}

describe('DynamiqError', () => {
  it('carries a namespaced code, a status, a retryable flag and its cause', () => {
    const cause = new Error('socket hang up');
    const err = new DynamiqError('dynamiq.widget.unavailable', 'The widget service is down.', {
      status: 503,
      retryable: true,
      retryAfterMs: 2000,
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      code: 'dynamiq.widget.unavailable',
      reason: 'unavailable',
      status: 503,
      retryable: true,
      retryAfterMs: 2000,
      cause,
      message: 'The widget service is down.',
    });
  });

  it('defaults to a final 500, and subclasses keep their own name and fields', () => {
    const err = new WidgetMissingError('w1');
    expect(err).toBeInstanceOf(DynamiqError);
    expect(err).toMatchObject({ name: 'WidgetMissingError', status: 404, retryable: false });
    expect(new DynamiqError('dynamiq.widget.broken', 'x')).toMatchObject({
      status: 500,
      retryable: false,
      retryAfterMs: undefined,
    });
  });

  it('refuses a code that is not dynamiq.<domain>.<reason>', () => {
    for (const code of ['SANDBOX_NOT_FOUND', 'expired', 'dynamiq.config_invalid', 'dynamiq.A.b']) {
      expect(() => new DynamiqError(code, 'x')).toThrow(/dynamiq\.<domain>\.<reason>/);
    }
  });
});

describe('toApplicationFailure', () => {
  it('types the failure by code and makes it final when the error is not retryable', () => {
    const failure = toApplicationFailure(new WidgetMissingError('w1'));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'dynamiq.widget.not_found',
      message: 'No widget w1; create it first.',
      nonRetryable: true,
    });
  });

  it('leaves a retryable error to the retry policy, after retryAfterMs when it names one', () => {
    const failure = toApplicationFailure(
      new DynamiqError('dynamiq.widget.busy', 'Busy; try again.', {
        retryable: true,
        retryAfterMs: 1500,
        cause: new Error('provider said: token abc'),
      }),
    ) as ApplicationFailure;
    expect(failure).toMatchObject({ type: 'dynamiq.widget.busy', nonRetryable: false });
    expect(failure.nextRetryDelay).toBe(1500);
    // Failures are kept in workflow history: a provider's raw answer stays out of it.
    expect(failure.cause).toBeUndefined();
    const plain = toApplicationFailure(
      new DynamiqError('dynamiq.widget.busy', 'Busy.', { retryable: true }),
    ) as ApplicationFailure;
    expect(plain.nextRetryDelay).toBeUndefined();
  });

  it('returns any other error unchanged', () => {
    const bug = new TypeError('x is undefined');
    expect(toApplicationFailure(bug)).toBe(bug);
    const already = ApplicationFailure.nonRetryable('done', 'Other');
    expect(toApplicationFailure(already)).toBe(already);
  });

  it('mappingFailures maps what a wrapped function throws and passes results through', async () => {
    const ok = mappingFailures(async (a: number, b: number) => a + b);
    await expect(ok(1, 2)).resolves.toBe(3);
    const failing = mappingFailures(async () => {
      throw new WidgetMissingError('w2');
    });
    await expect(failing()).rejects.toMatchObject({
      name: 'ApplicationFailure',
      type: 'dynamiq.widget.not_found',
      nonRetryable: true,
    });
  });
});
