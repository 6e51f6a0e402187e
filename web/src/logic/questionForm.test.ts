import { describe, expect, it } from 'vitest';
import type { Question } from '../api/client';
import { changedFields, draftFrom, draftToBody, emptyDraft, emptyExample, fieldErrors } from './questionForm';

const QUESTION: Question = {
  id: 'q1',
  slug: 'two-sum',
  title: 'Two Sum',
  description: 'Find two numbers.',
  difficulty: 'easy',
  topics: ['arrays', 'hash-table'],
  examples: [
    { input: '[1,2], 3', output: '[0,1]', explanation: null, test: { args: '[[1,2],3]', expected: '[0,1]' } },
    { input: '[3,3], 6', output: '[0,1]', explanation: 'the same number twice', test: null },
  ],
  constraints: ['2 <= n', 'one answer'],
  starterCode: { python: 'def f(): pass', javascript: 'function f() {}', java: 'class S {}', cpp: 'int f();' },
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('question form', () => {
  it('round-trips a question through the draft', () => {
    const body = draftToBody(draftFrom(QUESTION));
    expect(body).toEqual({
      title: 'Two Sum',
      description: 'Find two numbers.',
      difficulty: 'easy',
      topics: ['arrays', 'hash-table'],
      examples: QUESTION.examples,
      constraints: ['2 <= n', 'one answer'],
      starterCode: QUESTION.starterCode,
    });
  });

  it('keeps each example\'s test, so an edit never drops a judged question\'s tests', () => {
    const draft = draftFrom(QUESTION);
    const first = draft.examples[0] ?? emptyExample();
    draft.examples[0] = { ...first, explanation: 'why', expected: ' [0, 1] ' };
    const body = draftToBody(draft);
    expect(body.examples[0]).toEqual({
      input: '[1,2], 3',
      output: '[0,1]',
      explanation: 'why',
      test: { args: '[[1,2],3]', expected: '[0, 1]' },
    });
    const changes = changedFields(draftToBody(draftFrom(QUESTION)), body);
    expect(Object.keys(changes)).toEqual(['examples']);
    expect(changes.examples?.[0]?.test).toEqual({ args: '[[1,2],3]', expected: '[0, 1]' });
  });

  it('sends half a test as it is, for the server to name the missing half', () => {
    const draft = { ...emptyDraft(), examples: [{ ...emptyExample(), args: '[1]' }] };
    expect(draftToBody(draft).examples).toEqual([
      { input: '', output: '', explanation: null, test: { args: '[1]', expected: '' } },
    ]);
  });

  it('drops blank examples and constraint lines', () => {
    const draft = { ...emptyDraft(), constraints: ' a \n\n b ', examples: [emptyExample()] };
    const body = draftToBody(draft);
    expect(body.constraints).toEqual(['a', 'b']);
    expect(body.examples).toEqual([]);
  });

  it('patches only what changed', () => {
    const original = draftToBody(draftFrom(QUESTION));
    const edited = { ...original, title: 'Two Sum II', topics: original.topics };
    expect(changedFields(original, edited)).toEqual({ title: 'Two Sum II' });
    expect(changedFields(original, original)).toEqual({});
  });

  it('maps validation details to form fields', () => {
    expect(
      fieldErrors([
        { field: 'title', message: 'too short' },
        { field: 'examples.0.output', message: 'required' },
        { field: null, message: 'give at least one field' },
      ]),
    ).toEqual({ title: 'too short', examples: 'examples.0.output: required', form: 'give at least one field' });
  });
});
