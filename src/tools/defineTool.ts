import type { Observable } from 'rxjs';

/**
 * The part of the Standard Schema interface (standardschema.dev) a tool needs: validate a value.
 * zod 4, valibot and arktype schemas all have it, so a tool's `input` can be any of them.
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
  };
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
      }>;
    };

/** What `execute` is given besides its arguments. */
export interface ToolContext {
  /** Aborted when the loop is unsubscribed, the tool times out, or the loop fails. */
  signal: AbortSignal;
  /** The model's id for this call. */
  toolCallId: string;
}

/** A tool as `defineTool` takes it. */
export interface ToolDefinition<Args, Result> {
  /** The name the model calls it by. */
  name: string;
  /** What the tool does, for the model. */
  description?: string;
  /** The arguments' schema: arguments are validated with it before `execute` runs. */
  input: StandardSchema<Args>;
  /**
   * The arguments' JSON Schema as providers take it. Derived from a zod `input` with
   * `z.toJSONSchema`; required for any other schema library.
   */
  jsonSchema?: Record<string, unknown>;
  /**
   * The call waits for an approval (`runTools`' `approve$`) before it runs; a function decides
   * per call from its (validated) arguments.
   */
  needsApproval?: boolean | ((args: Args) => boolean);
  /** Milliseconds the tool may run; overrides `runTools`' `toolTimeoutMs`. */
  timeoutMs?: number;
  /**
   * Runs the tool. A value or a Promise is the result; an Observable's values are progress (sent
   * as preliminary `tool-result` events) and its last value is the result. Throwing (or
   * rejecting, or erroring) fails the call: the error is sent back to the model.
   */
  execute: (args: Args, context: ToolContext) => Result | Promise<Result> | Observable<Result>;
}

/** A tool `runTools` can run and whose definition providers can be sent. */
// `any` by default so that tools of different argument types fit one `Tool[]` (`execute` takes
// its arguments contravariantly; `unknown` would reject every typed tool).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Tool<Args = any, Result = unknown> extends Readonly<ToolDefinition<Args, Result>> {
  /** The arguments' JSON Schema (an object schema) to send to the provider. */
  readonly parameters: Record<string, unknown>;
}

/**
 * Defines a tool: its name, description, argument schema and what it does. The same tool gives
 * `runTools` what to run and the provider converters (`toOpenAIChatTools`, `toAnthropicTools`)
 * what to send.
 *
 * @example
 * ```ts
 * const weather = defineTool({
 *   name: 'get_weather',
 *   description: 'Current weather in a city',
 *   input: z.object({ city: z.string() }),
 *   execute: async ({ city }, { signal }) => (await fetch(`https://wttr.in/${city}?format=j1`, { signal })).json(),
 * });
 * ```
 */
export function defineTool<Args, Result>(definition: ToolDefinition<Args, Result>): Tool<Args, Result> {
  const parameters = definition.jsonSchema ?? jsonSchemaOf(definition.input, definition.name);
  return { ...definition, parameters };
}

/**
 * The Standard JSON Schema interface (`~standard.jsonSchema`), which zod 4.2+ and other schema
 * libraries put on their schemas: reading it keeps zod out of rxllm's imports (zod is an optional
 * peer, and a bundle that defines no tool must not carry it).
 */
interface StandardJSONSchema {
  readonly jsonSchema?: {
    input(options: { target: 'draft-2020-12' | 'draft-07' }): Record<string, unknown>;
  };
}

function jsonSchemaOf(input: StandardSchema, name: string): Record<string, unknown> {
  const standard = input['~standard'] as StandardSchema['~standard'] & StandardJSONSchema;
  if (typeof standard.jsonSchema?.input !== 'function')
    throw new TypeError(
      `defineTool(${name}): a ${standard.vendor} schema without ~standard.jsonSchema needs an explicit jsonSchema`,
    );
  const schema = { ...standard.jsonSchema.input({ target: 'draft-2020-12' }) };
  // Providers want the object schema itself; the `$schema` dialect marker is noise to them.
  delete schema.$schema;
  return schema;
}

/** The issues of a failed validation as one line the model can act on. */
export function describeIssues(
  issues: Extract<StandardSchemaResult<unknown>, { issues: ReadonlyArray<unknown> }>['issues'],
): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((part) => String(typeof part === 'object' ? part.key : part))
        .join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}
