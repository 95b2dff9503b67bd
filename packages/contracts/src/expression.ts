// The condition language of analysis metrics (`successCondition`, `failureCondition`): a small,
// safe expression language over the measured `result`, parsed here (no eval, no Function, no
// property access beyond indexing JSON), so the planner rejects a bad expression at the intake and
// the validator evaluates it with the same code.
//
//   result >= 0.99            result[0] < 0.5            len(result) == 0 || result[0] < 1
//   !(result > 0.1)           result.errors / result.total < 0.01      abs(result - 1) <= 0.2
//
// Values are JSON values (numbers, strings, booleans, null, lists, objects). A list of one element
// is its element wherever a number is expected, so `result < 0.01` reads a one-sample Prometheus
// vector as Argo's `result[0] < 0.01` does. Operators: || && ! == != < <= > >= + - * / % and unary
// minus; parentheses; `a[i]` and `a.b`; functions len, abs, min, max, isNaN.

export type Value = number | string | boolean | null | readonly Value[] | { readonly [k: string]: Value };

type Node =
  | { readonly k: "lit"; readonly v: Value }
  | { readonly k: "var"; readonly name: string }
  | { readonly k: "un"; readonly op: "!" | "-"; readonly a: Node }
  | { readonly k: "bin"; readonly op: string; readonly a: Node; readonly b: Node }
  | { readonly k: "idx"; readonly a: Node; readonly i: Node; readonly text: string }
  | { readonly k: "call"; readonly fn: string; readonly args: readonly Node[] };

/** An expression that does not parse, or whose evaluation fails; the message names the expression. */
export class ExpressionError extends Error {
  override readonly name = "ExpressionError";
}

export interface Expression {
  readonly source: string;
  /** Evaluates with `result` bound; throws ExpressionError naming the expression. */
  evaluate(result: Value): Value;
}

const FUNCTIONS: Readonly<Record<string, (args: Value[], src: string) => Value>> = {
  len: ([a], src) => (Array.isArray(a) || typeof a === "string" ? a.length : fail(src, `len() takes a list or a string, got ${describe(a)}`)),
  abs: ([a], src) => Math.abs(num(a, src, "abs()")),
  min: (args, src) => Math.min(...args.map((a) => num(a, src, "min()"))),
  max: (args, src) => Math.max(...args.map((a) => num(a, src, "max()"))),
  isNaN: ([a], src) => typeof a === "number" && Number.isNaN(a),
};

const TOKEN = /\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([A-Za-z_][A-Za-z0-9_]*)|(\|\||&&|==|!=|<=|>=|[<>!+\-*/%()[\].,]))/y;

type Tok = { readonly t: "num" | "str" | "id" | "op"; readonly v: string; readonly at: number };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(src);
    if (m === null) throw new ExpressionError(`${src}: unexpected character at ${at + 1 + (src.slice(at).length - src.slice(at).trimStart().length)}`);
    const kind = m[1] !== undefined ? "num" : m[2] !== undefined ? "str" : m[3] !== undefined ? "id" : "op";
    out.push({ t: kind, v: (m[1] ?? m[2] ?? m[3] ?? m[4]) as string, at: TOKEN.lastIndex });
    at = TOKEN.lastIndex;
  }
  return out;
}

const LEVELS: readonly (readonly string[])[] = [["||"], ["&&"], ["==", "!="], ["<", "<=", ">", ">="], ["+", "-"], ["*", "/", "%"]];

class Parser {
  private i = 0;
  constructor(private readonly src: string, private readonly toks: Tok[]) {}

  parse(): Node {
    if (this.toks.length === 0) throw new ExpressionError("(empty): an expression is required, e.g. result < 0.01");
    const node = this.level(0);
    const extra = this.toks[this.i];
    if (extra !== undefined) throw new ExpressionError(`${this.src}: unexpected "${extra.v}"`);
    return node;
  }

  private peek(v: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.t === "op" && t.v === v;
  }

  private expect(v: string): void {
    if (!this.peek(v)) throw new ExpressionError(`${this.src}: expected "${v}"${this.toks[this.i] ? ` before "${this.toks[this.i]?.v}"` : " at the end"}`);
    this.i++;
  }

  private level(n: number): Node {
    if (n === LEVELS.length) return this.unary();
    let a = this.level(n + 1);
    const ops = LEVELS[n] as readonly string[];
    for (;;) {
      const t = this.toks[this.i];
      if (t === undefined || t.t !== "op" || !ops.includes(t.v)) return a;
      this.i++;
      a = { k: "bin", op: t.v, a, b: this.level(n + 1) };
    }
  }

  private unary(): Node {
    if (this.peek("!") || this.peek("-")) {
      const op = (this.toks[this.i++] as Tok).v as "!" | "-";
      return { k: "un", op, a: this.unary() };
    }
    return this.postfix();
  }

  private postfix(): Node {
    const start = this.i;
    let a = this.primary();
    for (;;) {
      if (this.peek("[")) {
        this.i++;
        const i = this.level(0);
        this.expect("]");
        a = { k: "idx", a, i, text: this.textFrom(start) };
      } else if (this.peek(".")) {
        this.i++;
        const t = this.toks[this.i++];
        if (t === undefined || t.t !== "id") throw new ExpressionError(`${this.src}: expected a field name after "."`);
        a = { k: "idx", a, i: { k: "lit", v: t.v }, text: this.textFrom(start) };
      } else return a;
    }
  }

  private textFrom(start: number): string {
    return this.toks.slice(start, this.i).map((t) => t.v).join("");
  }

  private primary(): Node {
    const t = this.toks[this.i++];
    if (t === undefined) throw new ExpressionError(`${this.src}: unexpected end of the expression`);
    if (t.t === "num") return { k: "lit", v: Number(t.v) };
    if (t.t === "str") return { k: "lit", v: t.v.slice(1, -1).replace(/\\(.)/g, "$1") };
    if (t.t === "op" && t.v === "(") {
      const a = this.level(0);
      this.expect(")");
      return a;
    }
    if (t.t === "id") {
      if (t.v === "true" || t.v === "false") return { k: "lit", v: t.v === "true" };
      if (t.v === "null") return { k: "lit", v: null };
      if (this.peek("(")) return this.call(t.v);
      if (t.v !== "result") throw new ExpressionError(`${this.src}: unknown name "${t.v}" (the measured value is "result")`);
      return { k: "var", name: t.v };
    }
    throw new ExpressionError(`${this.src}: unexpected "${t.v}"`);
  }

  private call(fn: string): Node {
    if (!Object.hasOwn(FUNCTIONS, fn)) throw new ExpressionError(`${this.src}: unknown function ${fn}() (known: ${Object.keys(FUNCTIONS).join(", ")})`);
    this.expect("(");
    const args: Node[] = [];
    while (!this.peek(")")) {
      args.push(this.level(0));
      if (!this.peek(")")) this.expect(",");
    }
    this.expect(")");
    return { k: "call", fn, args };
  }
}

/** Parses an expression; throws ExpressionError ("result <: unexpected end of the expression"). */
export function parseExpression(source: string): Expression {
  const root = new Parser(source, tokenize(source)).parse();
  return { source, evaluate: (result) => evaluate(root, result, source) };
}

/** Why an expression does not parse, or undefined when it does. */
export function expressionProblem(source: string): string | undefined {
  try {
    parseExpression(source);
    return undefined;
  } catch (err) {
    if (err instanceof ExpressionError) return err.message;
    throw err;
  }
}

function fail(src: string, why: string): never {
  throw new ExpressionError(`${src}: ${why}`);
}

function describe(v: Value | undefined): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
}

/** A number, or a list of one number (a one-sample vector). */
function num(v: Value | undefined, src: string, what: string): number {
  if (typeof v === "number") return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === "number") return v[0];
  return fail(src, `${what} needs a number, got ${describe(v)}`);
}

function evaluate(n: Node, result: Value, src: string): Value {
  const ev = (x: Node) => evaluate(x, result, src);
  switch (n.k) {
    case "lit":
      return n.v;
    case "var":
      return result;
    case "un":
      return n.op === "!" ? !truthy(ev(n.a), src) : -num(ev(n.a), src, "unary -");
    case "idx":
      return index(ev(n.a), ev(n.i), n.text, src);
    case "call":
      return (FUNCTIONS[n.fn] as (a: Value[], s: string) => Value)(n.args.map(ev), src);
    case "bin":
      return binary(n.op, n.a, n.b, ev, src);
  }
}

function truthy(v: Value, src: string): boolean {
  if (typeof v === "boolean") return v;
  return fail(src, `needs true or false, got ${describe(v)}`);
}

function index(a: Value, i: Value, text: string, src: string): Value {
  if (Array.isArray(a) && typeof i === "number") {
    if (!Number.isInteger(i) || i < 0 || i >= a.length) fail(src, `${text} is out of range (the list has ${a.length} element${a.length === 1 ? "" : "s"})`);
    return a[i] as Value;
  }
  if (a !== null && typeof a === "object" && !Array.isArray(a) && typeof i === "string") {
    if (!Object.hasOwn(a, i)) fail(src, `${text} does not exist`);
    return (a as Record<string, Value>)[i] as Value;
  }
  return fail(src, `${text}: cannot index ${describe(a)} with ${describe(i)}`);
}

function binary(op: string, an: Node, bn: Node, ev: (x: Node) => Value, src: string): Value {
  if (op === "||") return truthy(ev(an), src) || truthy(ev(bn), src);
  if (op === "&&") return truthy(ev(an), src) && truthy(ev(bn), src);
  const a = ev(an);
  const b = ev(bn);
  if (op === "==" || op === "!=") {
    const same = scalarOf(a) === scalarOf(b);
    return op === "==" ? same : !same;
  }
  const x = num(a, src, `"${op}"`);
  const y = num(b, src, `"${op}"`);
  switch (op) {
    case "<": return x < y;
    case "<=": return x <= y;
    case ">": return x > y;
    case ">=": return x >= y;
    case "+": return x + y;
    case "-": return x - y;
    case "*": return x * y;
    case "/": return x / y;
    default: return x % y;
  }
}

function scalarOf(v: Value): Value {
  return Array.isArray(v) && v.length === 1 ? (v[0] as Value) : v;
}
