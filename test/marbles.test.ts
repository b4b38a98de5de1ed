import { map } from 'rxjs';
import { ev, formatDiagram, marbles, structurallyEqual } from '../src/testing';

describe('marbles', () => {
  it('runs diagrams with rxllm event values in virtual time', () => {
    marbles(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', { a: ev.text('x'), b: ev.finish() });
      expectObservable(source.pipe(map((event) => event.type))).toBe('-a-b-|', { a: 'text', b: 'finish' });
    });
  });

  it('fails when the output differs', () => {
    expect(() =>
      marbles(({ cold, expectObservable }) => {
        expectObservable(cold('-a|', { a: ev.text('x') })).toBe('-a|', { a: ev.text('y') });
      }),
    ).toThrow(/marbles differ/);
  });

  it('formats diagram lines into one aligned column', () => {
    expect(formatDiagram({ source: '-a-|', expected: '---|' })).toBe('source:   -a-|\nexpected: ---|');
  });

  it('compares errors by name, message and code, and ignores undefined fields', () => {
    expect(structurallyEqual(new Error('a'), new Error('a'))).toBe(true);
    expect(structurallyEqual(new Error('a'), new Error('b'))).toBe(false);
    expect(structurallyEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(structurallyEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
  });
});
