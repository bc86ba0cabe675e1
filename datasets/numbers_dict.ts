/**
 * RETURNN's `NumbersDict` (returnn/util/basic.py), as far as batching and chunking use it: numbers
 * per data key plus an optional broadcast value for keys not named. The arithmetic follows
 * RETURNN's rules exactly (which keys a result has, and when the broadcast value survives),
 * because the batch decisions depend on them.
 *
 * @module
 */

/** A number per key, plus an optional broadcast value (`null`: none). */
export class NumbersDict {
  /** Numbers per key, in insertion order (RETURNN's `dict`). */
  readonly dict: Map<string, number>;
  /** The broadcast value for keys not in `dict` (RETURNN's `value`), or `null`. */
  value: number | null;

  /**
   * Make a dict.
   *
   * @param init A number (broadcast value only), a record of numbers per key, or another one
   * to copy. @default no keys and no broadcast value
   */
  constructor(init?: number | Readonly<Record<string, number>> | NumbersDict | null) {
    if (init instanceof NumbersDict) {
      this.dict = new Map(init.dict);
      this.value = init.value;
    } else if (typeof init === "number") {
      this.dict = new Map();
      this.value = init;
    } else {
      this.dict = new Map(Object.entries(init ?? {}));
      this.value = null;
    }
  }

  /** RETURNN's `constant_like`: `c` for every key of `like`, broadcast `c` only if it has one. */
  static constantLike(c: number, like: NumbersDict): NumbersDict {
    const r = new NumbersDict();
    for (const k of like.dict.keys()) r.dict.set(k, c);
    r.value = like.value !== null ? c : null;
    return r;
  }

  /** `self[key]`: the key's number, else the broadcast value; throws when neither exists. */
  get(key: string): number {
    const v = this.dict.get(key);
    if (v !== undefined) return v;
    if (this.value !== null) return this.value;
    throw new RangeError(`No value for data key '${key}'`);
  }

  /** `self.get(key, None)`. */
  getOrNull(key: string): number | null {
    return this.dict.get(key) ?? this.value;
  }

  /** The keys (without the broadcast value). */
  keys(): string[] {
    return [...this.dict.keys()];
  }

  /** RETURNN's `values()`: the numbers per key, then the broadcast value if any. */
  values(): number[] {
    const v = [...this.dict.values()];
    if (this.value !== null) v.push(this.value);
    return v;
  }

  /** Largest of `values()`. */
  maxValue(): number {
    return Math.max(...this.values());
  }

  /** Smallest of `values()`. */
  minValue(): number {
    return Math.min(...this.values());
  }

  /** `self + other`. */
  add(other: NumbersDict | number): NumbersDict {
    return _binOp(this, other, (a, b) => a + b, 0);
  }

  /** `self - other`. */
  sub(other: NumbersDict | number): NumbersDict {
    return _binOp(this, other, (a, b) => a - b, 0);
  }

  /** `self * other`. */
  mul(other: NumbersDict | number): NumbersDict {
    return _binOp(this, other, (a, b) => a * b, 1);
  }

  /** RETURNN's `==` against a number or another dict (every defined element equal). */
  equals(other: NumbersDict | number): boolean {
    const o = other instanceof NumbersDict ? other : NumbersDict.constantLike(other, this);
    for (const k of _keysUnion(this, o)) {
      const a = this.getOrNull(k);
      const b = o.getOrNull(k);
      if (a === null || b === null || a !== b) return false; // RETURNN: None counts as false
    }
    if (this.value !== null && o.value !== null && this.value !== o.value) return false;
    return true;
  }

  /** RETURNN's `any_compare`: `cmp` true for a key of self (against other's key or value). */
  anyCompare(other: NumbersDict, cmp: (a: number, b: number) => boolean): boolean {
    for (const [k, v] of this.dict) {
      const o = other.dict.get(k);
      if (o !== undefined) {
        if (cmp(v, o)) return true;
      } else if (other.value !== null && cmp(v, other.value)) {
        return true;
      }
    }
    return this.value !== null && other.value !== null && cmp(this.value, other.value);
  }

  /** Element-wise maximum (RETURNN's `NumbersDict.max([a, b])`). */
  static max(a: NumbersDict | number, b: NumbersDict | number): NumbersDict {
    return _binOpOptional(a, b, Math.max);
  }

  /** Element-wise minimum (RETURNN's `NumbersDict.min([a, b])`). */
  static min(a: NumbersDict | number, b: NumbersDict | number): NumbersDict {
    return _binOpOptional(a, b, Math.min);
  }

  /** A plain record of the per-key numbers. */
  toRecord(): Record<string, number> {
    return Object.fromEntries(this.dict);
  }
}

function _keysUnion(a: NumbersDict, b: NumbersDict): string[] {
  return [...new Set([...a.dict.keys(), ...b.dict.keys()])];
}

function _operands(
  a: NumbersDict | number,
  b: NumbersDict | number,
): [NumbersDict, NumbersDict] {
  const x = a instanceof NumbersDict
    ? a
    : b instanceof NumbersDict
    ? NumbersDict.constantLike(a, b)
    : new NumbersDict(a);
  const y = b instanceof NumbersDict ? b : NumbersDict.constantLike(b, x);
  return [x, y];
}

/** `bin_op` with `bin_op_scalar_optional`: a missing side counts as `zero`. */
function _binOp(
  a: NumbersDict | number,
  b: NumbersDict | number,
  op: (a: number, b: number) => number,
  zero: number,
): NumbersDict {
  const [x, y] = _operands(a, b);
  const r = new NumbersDict();
  const f = (p: number | null, q: number | null) =>
    p === null && q === null ? null : op(p ?? zero, q ?? zero);
  for (const k of _keysUnion(x, y)) {
    const v = f(x.getOrNull(k), y.getOrNull(k));
    if (v !== null) r.dict.set(k, v);
  }
  r.value = f(x.value, y.value);
  return r;
}

/** `bin_op` with zero=None (max/min): a missing side is ignored. */
function _binOpOptional(
  a: NumbersDict | number,
  b: NumbersDict | number,
  op: (a: number, b: number) => number,
): NumbersDict {
  const [x, y] = _operands(a, b);
  const r = new NumbersDict();
  const f = (p: number | null, q: number | null) => p === null ? q : q === null ? p : op(p, q);
  for (const k of _keysUnion(x, y)) {
    const v = f(x.getOrNull(k), y.getOrNull(k));
    if (v !== null) r.dict.set(k, v);
  }
  r.value = f(x.value, y.value);
  return r;
}
