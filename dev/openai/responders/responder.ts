/**
 * One responder per product feature that asks the model for structured output. It reads the
 * product's own prompt for that feature and answers with the product's own zod schema, so the
 * stand-in and the product cannot drift apart silently.
 */
import type { z } from 'zod';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ResponderAnswer {
  /** The product's schema for this request; it may depend on the prompt (evaluations depend on the criteria). */
  schema: z.ZodType;
  /** The model's answer; checked against `schema` before it is sent. */
  answer: unknown;
}

export interface Responder {
  /** Throws PromptMismatch when the messages are not the product's prompt for the feature. */
  respond(messages: ChatMessage[]): ResponderAnswer;
}

/** The request does not follow the product's prompt format: answered 400, naming what is missing. */
export class PromptMismatch extends Error {}
