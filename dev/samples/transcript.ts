/**
 * Turns a scripted conversation into what AssemblyAI returns for it: words with millisecond
 * timings and confidences, one utterance per speaker turn, and sentence-level sentiment.
 * Only the content fields are stored; the AssemblyAI stand-in wraps them in a full Transcript
 * (id, status, request options) and adapts speakers and channels to each request.
 */
import type { SentimentAnalysisResult, TranscriptUtterance, TranscriptWord } from 'assemblyai';
import type { Conversation } from './conversations.ts';
import { prng, seedFrom } from './random.ts';

export type Sentiment = SentimentAnalysisResult['sentiment'];

/** The stored part of a completed Transcript. Speakers are "A" (agent) and "B" (customer); channels are null. */
export interface SampleTranscript {
  language_code: 'en_us';
  /** Seconds, as AssemblyAI reports it (everything else is in ms). */
  audio_duration: number;
  audio_channels: number;
  confidence: number;
  text: string;
  words: TranscriptWord[];
  utterances: TranscriptUtterance[];
  sentiment_analysis_results: SentimentAnalysisResult[];
}

// A rough speech model: longer words take longer, sentences end with a short pause.
const FIRST_WORD_AT_MS = 480;
const MS_PER_LETTER = 45;
const MS_PER_WORD = 100;

const NEGATIVE = /ridiculous|unacceptable|frustrat|terrible|unbelievable|worried|not my problem|calm down|haven't helped|too expensive|too much|cancel|late fee|yelling|dropping/i;
const POSITIVE = /thank|great|perfect|appreciate|relief|easier|easy|glad|wonderful|happy to help|welcome|absolutely|stable/i;

export function buildTranscript(conversation: Conversation): SampleTranscript {
  const random = prng(seedFrom(conversation.name));
  const between = (min: number, max: number) => min + random() * (max - min);
  const round = (n: number, digits: number) => Number(n.toFixed(digits));

  const words: TranscriptWord[] = [];
  const utterances: TranscriptUtterance[] = [];
  const sentiments: SentimentAnalysisResult[] = [];
  let clock = FIRST_WORD_AT_MS;

  for (const line of conversation.lines) {
    const turnWords: TranscriptWord[] = [];
    for (const sentence of splitSentences(line.text)) {
      const sentenceWords: TranscriptWord[] = [];
      for (const token of sentence.split(/\s+/).filter(Boolean)) {
        const letters = token.replace(/[^\p{L}\p{N}]/gu, '').length;
        const start = Math.round(clock);
        const end = Math.round(start + MS_PER_WORD + letters * MS_PER_LETTER * between(0.8, 1.2));
        sentenceWords.push({
          text: token,
          start,
          end,
          confidence: round(between(0.8, 0.999), 5),
          speaker: line.speaker,
          channel: null,
        });
        clock = end + between(10, 70);
      }
      const first = sentenceWords[0];
      const last = sentenceWords.at(-1);
      if (first && last) {
        sentiments.push({
          text: sentence,
          start: first.start,
          end: last.end,
          sentiment: sentimentOf(sentence),
          confidence: round(between(0.55, 0.97), 5),
          speaker: line.speaker,
          channel: null,
        });
      }
      turnWords.push(...sentenceWords);
      clock += between(180, 320);
    }
    const first = turnWords[0];
    const last = turnWords.at(-1);
    if (!first || !last) continue;
    utterances.push({
      speaker: line.speaker,
      text: line.text,
      start: first.start,
      end: last.end,
      confidence: round(mean(turnWords.map((w) => w.confidence)), 5),
      words: turnWords,
      channel: null,
    });
    words.push(...turnWords);
    clock += between(300, 900);
  }

  return {
    language_code: 'en_us',
    audio_duration: Math.ceil((words.at(-1)?.end ?? 0) / 1000),
    audio_channels: conversation.stereo ? 2 : 1,
    confidence: round(mean(words.map((w) => w.confidence)), 5),
    text: conversation.lines.map((l) => l.text).join(' '),
    words,
    utterances,
    sentiment_analysis_results: sentiments,
  };
}

function splitSentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).filter(Boolean);
}

/** Negative cues win: "I'm sorry, I understand how frustrating..." reads as negative to a sentiment model too. */
function sentimentOf(sentence: string): Sentiment {
  if (NEGATIVE.test(sentence)) return 'NEGATIVE';
  if (POSITIVE.test(sentence)) return 'POSITIVE';
  return 'NEUTRAL';
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}
