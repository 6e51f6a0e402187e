/** The admin question form: its fields as text, to and from the API's question. */
import type { Difficulty, Language, Question, QuestionCreate, TopicSlug } from '../api/client';

export interface ExampleDraft {
  input: string;
  output: string;
  explanation: string;
  /** The example as a judged call: its arguments (a JSON array) and answer (JSON); both blank
   * for none. A judged question (with a signature) needs both on every example. */
  args: string;
  expected: string;
}

export function emptyExample(): ExampleDraft {
  return { input: '', output: '', explanation: '', args: '', expected: '' };
}

export interface QuestionDraft {
  title: string;
  description: string;
  difficulty: Difficulty;
  topics: string[];
  examples: ExampleDraft[];
  /** One constraint per line. */
  constraints: string;
  starterCode: Record<Language, string>;
}

export function emptyDraft(): QuestionDraft {
  return {
    title: '',
    description: '',
    difficulty: 'easy',
    topics: [],
    examples: [emptyExample()],
    constraints: '',
    starterCode: { python: '', javascript: '', java: '', cpp: '' },
  };
}

export function draftFrom(question: Question): QuestionDraft {
  return {
    title: question.title,
    description: question.description,
    difficulty: question.difficulty,
    topics: [...question.topics],
    examples: question.examples.map((e) => ({
      input: e.input,
      output: e.output,
      explanation: e.explanation ?? '',
      args: e.test?.args ?? '',
      expected: e.test?.expected ?? '',
    })),
    constraints: question.constraints.join('\n'),
    starterCode: { ...question.starterCode },
  };
}

/** The fields the form edits: a question's, but its judging signature (set through the API). */
export type QuestionFields = Omit<QuestionCreate, 'signature'>;

/** The request body of a draft (what POST /questions takes; PATCH takes the changed fields). */
export function draftToBody(draft: QuestionDraft): QuestionFields {
  return {
    title: draft.title.trim(),
    description: draft.description,
    difficulty: draft.difficulty,
    topics: draft.topics as TopicSlug[],
    examples: draft.examples
      .filter((e) => e.input.trim() || e.output.trim() || e.explanation.trim() || e.args.trim() || e.expected.trim())
      .map((e) => ({
        input: e.input,
        output: e.output,
        explanation: e.explanation.trim() ? e.explanation : null,
        // Half a test is sent as it is: the server says which half is missing.
        test: e.args.trim() || e.expected.trim() ? { args: e.args.trim(), expected: e.expected.trim() } : null,
      })),
    constraints: draft.constraints
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
    starterCode: draft.starterCode,
  };
}

/** The fields of `body` that differ from `original` (for PATCH). */
export function changedFields(original: QuestionFields, body: QuestionFields): Partial<QuestionFields> {
  const changes: Partial<QuestionFields> = {};
  for (const key of Object.keys(body) as (keyof QuestionFields)[]) {
    if (JSON.stringify(body[key]) !== JSON.stringify(original[key])) {
      (changes as Record<string, unknown>)[key] = body[key];
    }
  }
  return changes;
}

/** Map 422 details (`field` like `examples.0.input`) to the form's top-level fields. */
export function fieldErrors(details: { field?: string | null; message: string }[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const detail of details) {
    const field = (detail.field ?? '').split('.')[0] || 'form';
    const message = detail.field?.includes('.') ? `${detail.field}: ${detail.message}` : detail.message;
    errors[field] = errors[field] ? `${errors[field]}; ${message}` : message;
  }
  return errors;
}
