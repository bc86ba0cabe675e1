import { deepEqual, equal, match, ok, throws } from "node:assert/strict";
import {
  findOptimizer,
  optimizerClassNames,
  optimizerConfigErrors,
  OPTIMIZERS,
  resolveOptimizerConfig,
  TORCH_DEFAULT_LR,
} from "./registry.ts";

const quiet = { notice: false };

Deno.test("registry: no dict means plain SGD", () => {
  for (const d of [undefined, null]) {
    const r = resolveOptimizerConfig(d);
    equal(r.def.name, "sgd");
    equal(r.hyper.momentum, 0);
    equal(r.learningRateMultiplier, 1);
  }
});

Deno.test("registry: class names are case-insensitive, with RETURNN/TF aliases", () => {
  const cases: [string, string][] = [
    ["Adam", "adam"],
    ["AdamOptimizer", "adam"],
    ["ADAMW", "adamw"],
    ["NadamOptimizer", "nadam"],
    ["AdadeltaOptimizer", "adadelta"],
    ["AdagradOptimizer", "adagrad"],
    ["RMSPropOptimizer", "rmsprop"],
    ["GradientDescent", "sgd"],
    ["GradientDescentOptimizer", "sgd"],
    ["Lion", "lion"],
    ["Rprop", "rprop"],
    ["ASGD", "asgd"],
    ["RAdam", "radam"],
    ["Adamax", "adamax"],
  ];
  for (const [cls, name] of cases) {
    equal(resolveOptimizerConfig({ class: cls }, quiet).def.name, name, cls);
    equal(findOptimizer(cls).name, name);
  }
  equal(optimizerClassNames().length, new Set(optimizerClassNames()).size);
  for (const d of OPTIMIZERS) equal(typeof TORCH_DEFAULT_LR[d.name], "number");
});

Deno.test("registry: 'momentum' class is SGD with the given momentum", () => {
  const r = resolveOptimizerConfig({ class: "momentum", momentum: 0.9, use_nesterov: true });
  equal(r.def.name, "sgd");
  equal(r.hyper.momentum, 0.9);
  equal(r.hyper.nesterov, true);
  throws(() => resolveOptimizerConfig({ class: "MomentumOptimizer" }), /needs a 'momentum'/);
  for (
    const d of [
      { class: "momentum", momentum: 0.9, use_nesterov: true, nesterov: false },
      { class: "momentum", momentum: 0.9, nesterov: false, use_nesterov: true },
    ]
  ) {
    throws(
      () => resolveOptimizerConfig(d),
      /'(use_)?nesterov' and '(use_)?nesterov' are the same parameter/,
    );
  }
});

Deno.test("registry: unknown class lists the valid ones with a did-you-mean", () => {
  throws(() => resolveOptimizerConfig({ class: "adma" }), (e: unknown) => {
    equal(e instanceof TypeError, true);
    const m = (e as Error).message;
    match(m, /unknown optimizer class 'adma'/);
    match(m, /Valid classes: sgd, adam, adamw, nadam/);
    match(m, /Did you mean 'adam'\?/);
    return true;
  });
  throws(() => resolveOptimizerConfig({ class: "rmsprob" }), /Did you mean 'rmsprop'\?/);
});

Deno.test("registry: malformed dicts", () => {
  throws(() => resolveOptimizerConfig({ momentum: 0.9 }), /needs a 'class' string/);
  throws(() => resolveOptimizerConfig({ class: 3 }), TypeError);
  throws(
    () => resolveOptimizerConfig("adam" as unknown as Record<string, unknown>),
    /must be a dict with a 'class' key/,
  );
  throws(() => resolveOptimizerConfig([] as unknown as Record<string, unknown>), TypeError);
});

Deno.test("registry: unknown parameter lists the valid ones with a did-you-mean", () => {
  throws(
    () => resolveOptimizerConfig({ class: "adam", beta: [0.9, 0.99] }, quiet),
    (e: unknown) => {
      const m = (e as Error).message;
      match(m, /unknown parameter 'beta'/);
      match(m, /Valid parameters: betas, eps, weight_decay, amsgrad, maximize/);
      match(m, /Did you mean 'betas'\?/);
      return true;
    },
  );
});

Deno.test("registry: a learning rate inside the dict is an error", () => {
  for (const key of ["lr", "learning_rate"]) {
    throws(
      () => resolveOptimizerConfig({ class: "adam", [key]: 0.1 }),
      new RegExp(`'${key}' must not be set inside the 'optimizer' dict: set 'learning_rate'`),
    );
  }
});

Deno.test("registry: learning_rate_multiplier is returned separately", () => {
  const r = resolveOptimizerConfig({ class: "sgd", learning_rate_multiplier: 0.5 });
  equal(r.learningRateMultiplier, 0.5);
  equal("learning_rate_multiplier" in r.hyper, false);
  throws(
    () => resolveOptimizerConfig({ class: "sgd", learning_rate_multiplier: -1 }),
    /'learning_rate_multiplier' must be >= 0: current value is -1/,
  );
  throws(
    () => resolveOptimizerConfig({ class: "sgd", learning_rate_multiplier: "2" }),
    TypeError,
  );
});

Deno.test("registry: epsilon is eps; both set is an error", () => {
  equal(resolveOptimizerConfig({ class: "adam", epsilon: 1e-7 }).hyper.eps, 1e-7);
  equal(resolveOptimizerConfig({ class: "adam", eps: 1e-7 }).hyper.eps, 1e-7);
  throws(
    () => resolveOptimizerConfig({ class: "adam", eps: 1e-7, epsilon: 1e-8 }),
    /set only one of 'eps' and 'epsilon'/,
  );
  throws(() => resolveOptimizerConfig({ class: "sgd", epsilon: 1e-8 }), /unknown parameter 'eps'/);
});

Deno.test("registry: TF beta1/beta2 fill betas", () => {
  const r = resolveOptimizerConfig({ class: "AdamOptimizer", beta2: 0.98, epsilon: 1e-8 });
  deepEqual(r.hyper.betas, [0.9, 0.98]);
  throws(
    () => resolveOptimizerConfig({ class: "adam", betas: [0.9, 0.9], beta1: 0.8 }),
    /either 'betas' or 'beta1'/,
  );
  throws(() => resolveOptimizerConfig({ class: "adam", beta1: 2 }, quiet), /'betas\[0\]'/);
});

Deno.test("registry: RETURNN epsilon default 1e-16 unless set or disabled", () => {
  const withEps = OPTIMIZERS.filter((d) => "eps" in d.defaults).map((d) => d.name);
  deepEqual(withEps, [
    "adam",
    "adamw",
    "nadam",
    "radam",
    "adamax",
    "adagrad",
    "adadelta",
    "rmsprop",
  ]);
  for (const name of withEps) {
    equal(resolveOptimizerConfig({ class: name }, quiet).hyper.eps, 1e-16, name);
    equal(
      resolveOptimizerConfig({ class: name }, { returnnEpsilon: false }).hyper.eps,
      findOptimizer(name).defaults.eps,
    );
    equal(
      resolveOptimizerConfig({ class: name }, { ...quiet, optimizerEpsilon: 1e-10 }).hyper.eps,
      1e-10,
    );
    // An explicit eps always wins.
    equal(resolveOptimizerConfig({ class: name, eps: 0.5 }).hyper.eps, 0.5);
  }
  // optimizer_epsilon is validated like a hyperparameter.
  throws(
    () => resolveOptimizerConfig({ class: "adam" }, { ...quiet, optimizerEpsilon: NaN }),
    /'optimizer_epsilon' must be a finite number: current value is NaN/,
  );
  // Optimizers without eps are untouched.
  equal("eps" in resolveOptimizerConfig({ class: "sgd" }, quiet).hyper, false);
});

Deno.test("registry: the RETURNN epsilon notice is printed once per process", () => {
  const warnings: unknown[][] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => warnings.push(args);
  try {
    resolveOptimizerConfig({ class: "adam" });
    resolveOptimizerConfig({ class: "nadam" });
    resolveOptimizerConfig({ class: "adam", eps: 1e-8 });
  } finally {
    console.warn = original;
  }
  equal(warnings.length, 1);
  match(String(warnings[0][0]), /eps = 1e-16 \(RETURNN's 'optimizer_epsilon' default\)/);
});

Deno.test("registry: NaN, Infinity and wrong types name the key and value", () => {
  throws(
    () => resolveOptimizerConfig({ class: "sgd", momentum: NaN }),
    new RangeError(
      "Cannot create optimizer 'sgd': 'momentum' must be a finite number: current value is NaN",
    ),
  );
  throws(() => resolveOptimizerConfig({ class: "adam", weight_decay: Infinity }), /Infinity/);
  throws(
    () => resolveOptimizerConfig({ class: "adam", amsgrad: "true" }, quiet),
    new TypeError(
      `Cannot create optimizer 'adam': 'amsgrad' must be a boolean (true or false): current value is "true" (string)`,
    ),
  );
  throws(() => resolveOptimizerConfig({ class: "adam", eps: null }), /current value is null/);
});

Deno.test("registry: decoupled_weight_decay selects the decoupled twin (adam, nadam, radam)", () => {
  for (const name of ["adam", "nadam", "radam"]) {
    const coupled = resolveOptimizerConfig({ class: name, weight_decay: 0.1 }, quiet);
    equal(coupled.def.weightDecay, "coupled");
    equal(coupled.hyper.decoupled_weight_decay, false);
    const twin = resolveOptimizerConfig(
      { class: name, weight_decay: 0.1, decoupled_weight_decay: true },
      quiet,
    );
    equal(twin.def.name, name);
    equal(twin.def.weightDecay, "decoupled");
    equal(twin.hyper.decoupled_weight_decay, true);
    equal(twin.hyper.weight_decay, 0.1);
    equal(twin.def.wgsl(twin.hyper), coupled.def.wgsl(coupled.hyper));
    // The twin validates like the original.
    throws(
      () => resolveOptimizerConfig({ class: name, decoupled_weight_decay: true, weight_decay: -1 }),
      /'weight_decay' must be >= 0/,
    );
    throws(
      () => twin.def.resolve({ ...twin.def.defaults, decoupled_weight_decay: "yes" }),
      /'decoupled_weight_decay' must be a boolean/,
    );
  }
  // Not a parameter of the other classes (AdamW is always decoupled, as in torch).
  throws(
    () => resolveOptimizerConfig({ class: "adamw", decoupled_weight_decay: true }, quiet),
    /unknown parameter 'decoupled_weight_decay'/,
  );
});

Deno.test("registry: torch implementation switches are accepted and ignored", () => {
  const r = resolveOptimizerConfig(
    { class: "adam", foreach: false, fused: null, capturable: false, differentiable: false },
    quiet,
  );
  deepEqual(r.hyper, resolveOptimizerConfig({ class: "adam" }, quiet).hyper);
  equal(resolveOptimizerConfig({ class: "lion", use_triton: true }).def.name, "lion");
  throws(() => resolveOptimizerConfig({ class: "sgd", foreach: "yes" }), /boolean or null/);
  throws(() => resolveOptimizerConfig({ class: "sgd", use_triton: true }), /unknown parameter/);
  throws(() => resolveOptimizerConfig({ class: "lion", fused: true }), /unknown parameter/);
});

Deno.test("registry: the fixture dicts (all torch params minus lr) resolve to themselves", () => {
  const dict = {
    class: "rmsprop",
    alpha: 0.9,
    eps: 1e-8,
    weight_decay: 0.01,
    momentum: 0.9,
    centered: true,
    maximize: false,
  };
  const r = resolveOptimizerConfig(dict);
  const { class: _c, ...params } = dict;
  deepEqual(r.hyper, params);
});

Deno.test("registry: every problem of a dict at once (class, lr, parameters, values)", () => {
  const errors = optimizerConfigErrors({
    class: "adma",
    lr: 0.1,
    betaz: [0.9, 0.99],
  });
  deepEqual(errors.map((e) => e.constructor), [TypeError, TypeError, TypeError]);
  match(errors[0].message, /unknown optimizer class 'adma'/);
  match(errors[1].message, /'lr' must not be set inside the 'optimizer' dict/);
  match(errors[2].message, /unknown parameter 'betaz'.*Did you mean 'betas'\?/);
  // Bad values of a known class: each one, not only the first.
  const values = optimizerConfigErrors({ class: "adam", eps: -1, weight_decay: NaN, amsgrad: 2 });
  deepEqual(values.map((e) => e.message.match(/: '(\w+)'/)?.[1]), [
    "eps",
    "weight_decay",
    "amsgrad",
  ]);
  // A combination is one problem (nesterov needs momentum), not one per key.
  equal(optimizerConfigErrors({ class: "sgd", nesterov: true }).length, 1);
  deepEqual(optimizerConfigErrors({ class: "adam", eps: 1e-8 }), []);
  // resolveOptimizerConfig throws them together; one problem keeps its own error.
  throws(
    () => resolveOptimizerConfig({ class: "adam", lr: 0.1, betaz: 1 }),
    (e: Error) => {
      ok(e instanceof TypeError);
      match(e.message, /2 problems:\n {2}- .*'lr'.*\n {2}- .*'betaz'/);
      return true;
    },
  );
});
