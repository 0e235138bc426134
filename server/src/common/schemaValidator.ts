import Ajv, { type Options, type SchemaObject, type ValidateFunction } from 'ajv';

/** A JSON Schema and how ajv compiles it, named so a build can compile it ahead of time. */
export interface SchemaSpec {
  name: string;
  schema: SchemaObject;
  options: Options;
  /** Annotation keywords: carried in the schema, no validation of their own. */
  keywords?: string[];
}

/**
 * The validator of one schema. Here ajv compiles it (a source checkout and the tests do this).
 * The bundles replace this module with the validators ajv generated at build time
 * (scripts/validators.mjs), so starting the CLI neither loads ajv nor compiles a schema.
 */
export function schemaValidator<T>(spec: SchemaSpec): ValidateFunction<T> {
  const ajv = new Ajv(spec.options);
  for (const keyword of spec.keywords ?? []) ajv.addKeyword({ keyword, schemaType: 'string' });
  return ajv.compile<T>(spec.schema);
}
