/**
 * Worker of the CPU triad (see `roofline.ts`): on `{n, repeat}` runs `a = b + 0.5*c` over its
 * own arrays of `n` floats `repeat` times and answers with the elapsed milliseconds.
 *
 * @module
 */

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<{ n: number; repeat: number }>) => void) | null;
  postMessage(x: unknown): void;
};

let a = new Float32Array(0), b = a, c = a;

function triad(n: number): void {
  for (let i = 0; i < n; i++) a[i] = b[i] + 0.5 * c[i];
}

scope.onmessage = (e) => {
  const { n, repeat } = e.data;
  if (a.length !== n) {
    a = new Float32Array(n);
    b = new Float32Array(n).fill(1);
    c = new Float32Array(n).fill(2);
  }
  const t0 = performance.now();
  for (let r = 0; r < repeat; r++) triad(n);
  scope.postMessage(performance.now() - t0);
};
