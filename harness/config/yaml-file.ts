/**
 * Loads a YAML file, interpolates `${ENV_VAR}` references and validates it with a zod schema.
 * Every failure becomes a ConfigError naming the file, the line and column, and the field,
 * because a user fixing a profile in CI has nothing else to go on.
 */
import { readFileSync } from 'node:fs';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../lib/errors.ts';

type PathKey = string | number;

const envReference = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface YamlOptions {
  env?: NodeJS.ProcessEnv;
  /** Validate, but return the document as written (env interpolated) instead of the parsed output. */
  raw?: boolean;
}

export function loadYamlFile<S extends z.ZodType>(file: string, schema: S, options: YamlOptions = {}): z.output<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError({ file, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})` });
  }
  return parseYamlText(text, file, schema, options);
}

export function parseYamlText<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  options: YamlOptions = {},
): z.output<S> {
  const env = options.env ?? process.env;
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const pos = lineCounter.linePos(syntaxError.pos[0]);
    throw new ConfigError({
      file,
      line: pos.line,
      column: pos.col,
      problem: `is not valid YAML: ${firstLine(syntaxError.message)}`,
    });
  }
  interpolateEnv(doc, file, lineCounter, env);
  const input: unknown = doc.toJS() ?? {};
  const result = schema.safeParse(input);
  if (result.success) return options.raw ? (input as z.output<S>) : result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const pos = keyPosition(doc, path, key, lineCounter);
    throw new ConfigError({
      file,
      ...pos,
      field: formatPath([...path, key]),
      problem: `is not a known field${suggestion(issue.keys)}`,
    });
  }
  const pos = nodePosition(doc, path, lineCounter);
  throw new ConfigError({ file, ...pos, field: formatPath(path) || undefined, problem: issue.message });
}

function interpolateEnv(doc: Document, file: string, lineCounter: LineCounter, env: NodeJS.ProcessEnv): void {
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = node.value.replace(envReference, (_match, name: string) => {
        const value = env[name];
        if (value === undefined) {
          const pos = node.range ? lineCounter.linePos(node.range[0]) : undefined;
          throw new ConfigError({
            file,
            line: pos?.line,
            column: pos?.col,
            field: formatPath(fieldPath(ancestors, node)),
            problem: `refers to the environment variable \${${name}}, which is not set`,
          });
        }
        return value;
      });
    },
  });
}

/** The field path of a node from the ancestors yaml's visitor hands over (pairs give keys, sequences indexes). */
function fieldPath(ancestors: readonly unknown[], node: unknown): PathKey[] {
  const path: PathKey[] = [];
  const chain = [...ancestors, node];
  for (const [index, ancestor] of chain.entries()) {
    if (isPair(ancestor) && isScalar(ancestor.key)) path.push(String(ancestor.key.value));
    if (isSeq(ancestor)) path.push(ancestor.items.indexOf(chain[index + 1] as never));
  }
  return path;
}

function nodePosition(doc: Document, path: PathKey[], lineCounter: LineCounter): { line?: number; column?: number } {
  // Walk up until a node exists: a missing field is reported at its parent.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

function keyPosition(doc: Document, path: PathKey[], key: string, lineCounter: LineCounter) {
  const parent = path.length ? doc.getIn(path, true) : doc.contents;
  if (isMap(parent)) {
    for (const pair of parent.items) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === key && pair.key.range) {
        const pos = lineCounter.linePos(pair.key.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
  }
  return nodePosition(doc, path, lineCounter);
}

export function formatPath(path: PathKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function suggestion(keys: string[]): string {
  return keys.length > 1 ? ` (also unknown: ${keys.slice(1).join(', ')})` : '';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
