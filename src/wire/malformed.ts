import { RxllmError } from '../base/errors';

const maxQuoted = 300;

/** The `malformed` error for a known message whose shape is broken: names the dialect, quotes the line. */
export function malformed(dialect: string, line: string, reason: string, cause?: unknown): RxllmError {
  const quoted = line.length > maxQuoted ? `${line.slice(0, maxQuoted)}…` : line;
  return new RxllmError(`${dialect}: ${reason}: ${quoted}`, {
    code: 'malformed',
    dialect,
    line: quoted,
    cause,
  });
}

/** `JSON.parse` that turns a syntax error into a `malformed` error for the dialect. */
export function parseJsonOrThrow(dialect: string, data: string): unknown {
  try {
    return JSON.parse(data);
  } catch (error) {
    throw malformed(dialect, data, 'invalid JSON', error);
  }
}
