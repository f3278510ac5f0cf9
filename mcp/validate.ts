import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';

/** Checks arguments against a tool's input schema; returns what is wrong, or undefined when fine. */
export type ArgumentsCheck = (args: Record<string, unknown>) => string | undefined;

// One ajv instance (the SDK's, with formats) compiles every schema; compiling is the slow part,
// so the registry keeps one check per tool for as long as it keeps the tool list.
const ajv = new AjvJsonSchemaValidator();

/**
 * Compiles a check for a tool's input schema. A schema ajv cannot compile (a dialect or keyword
 * it does not know) gets no check rather than blocking the tool: the server still validates.
 */
export function compileArgumentsCheck(schema: Record<string, unknown>): ArgumentsCheck {
  // ajv's default dialect is draft-07; a 2020-12 `$schema` would make it refuse the schema.
  const { $schema: _dialect, ...rest } = schema;
  let validate: ReturnType<AjvJsonSchemaValidator['getValidator']>;
  try {
    validate = ajv.getValidator(rest as JsonSchemaType);
  } catch {
    return () => undefined;
  }
  return (args) => {
    const result = validate(args);
    if (result.valid) return undefined;
    // ajv names the root `data`: "data/a must be number, data must have required property 'b'".
    return result.errorMessage
      .replace(/(^|, )data\//g, '$1')
      .replace(/(^|, )data /g, '$1arguments ');
  };
}
