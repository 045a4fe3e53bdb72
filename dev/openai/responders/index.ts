/**
 * The features the stand-in answers, keyed by the `response_format.json_schema.name` the
 * product sends, and the checks every answer passes before it leaves: the request's JSON schema
 * must be the one the product's zod schema produces, and the answer must satisfy that zod schema.
 */
import { zodResponseFormat } from 'openai/helpers/zod';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { invalidRequest, serverError } from '../errors.ts';
import { callEvaluation } from './call-evaluation.ts';
import { coachingCourse } from './coaching-course.ts';
import { type ChatMessage, PromptMismatch, type Responder } from './responder.ts';

export const RESPONDERS: Record<string, Responder> = {
  call_evaluation: callEvaluation,
  coaching_course: coachingCourse,
};

export interface JsonSchemaFormat {
  name: string;
  strict: boolean;
  schema: unknown;
}

/** The answer's JSON text, or an OpenAIError: 400 for a request the product would not send, 500 for a drifted answer. */
export function structuredAnswer(format: JsonSchemaFormat, messages: ChatMessage[]): string {
  const responder = RESPONDERS[format.name];
  if (!responder) {
    throw invalidRequest(
      `Unknown response_format '${format.name}': this stand-in answers the product's structured outputs only (${Object.keys(RESPONDERS).join(', ')}). Add a responder in dev/openai/responders/.`,
      'response_format.json_schema.name',
      'unknown_schema',
    );
  }
  let answer;
  try {
    answer = responder.respond(messages);
  } catch (err) {
    if (err instanceof PromptMismatch)
      throw invalidRequest(`The '${format.name}' prompt is not in the product's format: ${err.message}`, 'messages');
    throw err;
  }
  // Undefined members (descriptions zod leaves out) vanish on the wire; compare what was sent.
  const expected = JSON.parse(JSON.stringify(zodResponseFormat(answer.schema, format.name).json_schema.schema));
  if (!format.strict || !isDeepStrictEqual(format.schema, expected)) {
    throw invalidRequest(
      `response_format '${format.name}' is not the strict schema the product's zod schema gives for this prompt.`,
      'response_format.json_schema.schema',
      'schema_mismatch',
    );
  }
  const checked = answer.schema.safeParse(answer.answer);
  if (!checked.success) {
    const problem = `The stand-in's '${format.name}' answer does not satisfy the product's schema:\n${z.prettifyError(checked.error)}`;
    console.error(`[openai] ${problem}`);
    throw serverError(problem);
  }
  return JSON.stringify(checked.data);
}
