import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBoundedSet } from './bounded-set.js';

describe('a bounded set', () => {
  it('keeps at most its cap, forgetting the oldest first', () => {
    const set = createBoundedSet(3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) set.add(key);
    assert.equal(set.size, 3);
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e'].map((k) => set.has(k)),
      [false, false, true, true, true],
    );
  });

  it('adding a member again makes it the newest', () => {
    const set = createBoundedSet(2);
    set.add('a');
    set.add('b');
    set.add('a');
    set.add('c');
    assert.equal(set.has('a'), true);
    assert.equal(set.has('b'), false);
  });
});
