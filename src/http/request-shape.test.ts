import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkQuery, hasBody, isJson } from './request-shape.js';

/** What Fastify's parser makes of a query string: null prototype, repeats as arrays. */
function parsed(entries: Record<string, string | string[]>): unknown {
  return Object.assign(Object.create(null) as object, entries);
}

describe('checkQuery', () => {
  const allowed = ['since', 'follow'];
  const cases: [string, unknown, string | undefined][] = [
    ['nothing', parsed({}), undefined],
    ['known once', parsed({ since: '1', follow: 'false' }), undefined],
    ['empty value', parsed({ follow: '' }), undefined],
    [
      'repeated',
      parsed({ since: ['1', '2'] }),
      'query parameter since is given 2 times; give it once',
    ],
    [
      'bracketed',
      parsed({ 'since[a]': '1' }),
      'query parameter since takes one plain value (since=…), not "since[a]"',
    ],
    [
      'array form',
      parsed({ 'follow[]': 'x' }),
      'query parameter follow takes one plain value (follow=…), not "follow[]"',
    ],
    ['unknown', parsed({ x: '1' }), 'unknown query parameter "x"; this route takes since, follow'],
    [
      'empty name',
      parsed({ '': '1' }),
      'unknown query parameter ""; this route takes since, follow',
    ],
    [
      '__proto__',
      parsed({ ['__proto__']: '1' }),
      'unknown query parameter "__proto__"; this route takes since, follow',
    ],
    [
      'long name',
      parsed({ ['y'.repeat(100)]: '1' }),
      `unknown query parameter "${'y'.repeat(64)}…"; this route takes since, follow`,
    ],
    [
      'long value',
      parsed({ since: '1'.repeat(257) }),
      'query parameter since is longer than 256 characters',
    ],
    ['not an object', undefined, undefined],
  ];
  for (const [name, query, problem] of cases) {
    it(name, () => {
      const result = checkQuery(query, allowed);
      assert.deepEqual(
        result,
        problem === undefined ? { ok: true } : { ok: false, message: problem },
      );
    });
  }

  it('a route that takes none says so', () => {
    assert.deepEqual(checkQuery(parsed({ a: '1' }), []), {
      ok: false,
      message: 'unknown query parameter "a"; this route takes none',
    });
  });
});

describe('hasBody', () => {
  const cases: [Record<string, string>, boolean][] = [
    [{}, false],
    [{ 'content-length': '0' }, false],
    [{ 'content-length': '000' }, false],
    [{ 'content-length': '2' }, true],
    [{ 'content-length': 'junk' }, true],
    [{ 'transfer-encoding': 'chunked' }, true],
  ];
  for (const [headers, expected] of cases) {
    it(`${JSON.stringify(headers)} → ${expected}`, () => {
      assert.equal(hasBody(headers), expected);
    });
  }
});

describe('isJson', () => {
  const cases: [string | undefined, boolean][] = [
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['APPLICATION/JSON', true],
    ['application/jsonx', false],
    ['text/plain', false],
    ['', false],
    [undefined, false],
  ];
  for (const [type, expected] of cases) {
    it(`${JSON.stringify(type)} → ${expected}`, () => {
      assert.equal(isJson(type), expected);
    });
  }
});
