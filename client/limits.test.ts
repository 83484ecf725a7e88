import { describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES as PROTOCOL_MAX_INPUT_BYTES } from '../lib/protocol/workers';
import { MAX_INPUT_BYTES } from './limits';

describe('page limits', () => {
  it('splits typed input at the protocol input limit', () => {
    expect(MAX_INPUT_BYTES).toBe(PROTOCOL_MAX_INPUT_BYTES);
  });
});
