import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFromText } from './reset-text.js';

describe('waitFromText', () => {
  const table: [string, number | undefined][] = [
    ['Rate limit reached for gpt-4o. Please try again in 20s.', 20_000],
    ['Please try again in 1m30s. Visit https://…', 90_000],
    ['Please try again in 6ms.', 6],
    ['Please retry in 15.3s.', 15_300],
    ['… or try again in 3 days 4 hours 12 minutes.', 3 * 86_400_000 + 4 * 3_600_000 + 12 * 60_000],
    ['retry after 30 seconds', 30_000],
    ['Try again in 2 hours, 5 minutes', 2 * 3_600_000 + 5 * 60_000],
    ['Rate limit exceeded', undefined],
    ['try again later', undefined],
    ['try again in a moment', undefined],
    ['You can retry in 5 apples', undefined],
  ];
  for (const [text, expected] of table) {
    it(JSON.stringify(text), () => {
      assert.equal(waitFromText(text), expected);
    });
  }
});
