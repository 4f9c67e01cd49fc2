import { clone, concat, customGrad, engine, getBackend, getKernel, split, type GradSaveFunc, type KernelConfig, type KernelFunc, type NamedTensorMap, type Tensor, type Tensor2D, type TensorInfo } from '@tensorflow/tfjs-core';
import type { LayerState } from '../cells/types.js';

/**
 * An LSTM training step on WebGL as one shader forward and two backward,
 * where the tfjs ops take about a dozen forward (add, split, 3 sigmoids,
 * 2 tanh, 3 products, a sum) and two dozen backward. Every op is a draw call
 * and a texture round; on a software renderer (SwiftShader) and on slow
 * mobile GPUs their fixed cost is most of a small batch's time.
 *
 * The step's state travels as one [B, 2H] tensor hc = [h | c]: the shader
 * writes both halves (each pixel of c works out its gates; each pixel of h
 * too, and the c it needs). h and c are slices of it for the rest of the
 * window (split, whose gradient the tape has); the next step reads hc itself.
 */
export const LSTM_FORWARD = 'NextkeyLstmTrainForward';
export const LSTM_BACKWARD = 'NextkeyLstmTrainBackward';

const MATH = `
float sig(float x) { return 1.0 / (1.0 + exp(-x)); }
float th(float x) { return 2.0 / (1.0 + exp(-2.0 * x)) - 1.0; }
float pre(int r, int k) { return getX(r, k) + getR(r, k); }
`;

interface Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
}

/** hc' [B, 2H] from the input share X, the recurrent share R ([B, 4H], gates i f g o) and hc [B, 2H]. */
function forward(B: number, H: number): Program {
  return {
    variableNames: ['X', 'R', 'S'],
    outputShape: [B, 2 * H],
    userCode: `${MATH}
void main() {
  ivec2 rc = getOutputCoords();
  int r = rc.x;
  int u = rc.y < ${H} ? rc.y : rc.y - ${H};
  float c = sig(pre(r, ${H} + u)) * getS(r, ${H} + u) + sig(pre(r, u)) * th(pre(r, ${2 * H} + u));
  if (rc.y >= ${H}) setOutput(c);
  else setOutput(sig(pre(r, ${3 * H} + u)) * th(c));
}`,
  };
}

/** The gradient of the gates' pre-activations [B, 4H], from X, R, hc, hc' (O) and dy = [dh' | dc'] (D). */
function gatesGrad(B: number, H: number): Program {
  return {
    variableNames: ['X', 'R', 'S', 'O', 'D'],
    outputShape: [B, 4 * H],
    userCode: `${MATH}
void main() {
  ivec2 rc = getOutputCoords();
  int r = rc.x;
  int gate = rc.y / ${H};
  int u = rc.y - gate * ${H};
  float i = sig(pre(r, u));
  float f = sig(pre(r, ${H} + u));
  float g = th(pre(r, ${2 * H} + u));
  float o = sig(pre(r, ${3 * H} + u));
  float tc = th(getO(r, ${H} + u));
  float dh = getD(r, u);
  float dc = getD(r, ${H} + u) + dh * o * (1.0 - tc * tc);
  float v;
  if (gate == 0) v = dc * g * i * (1.0 - i);
  else if (gate == 1) v = dc * getS(r, ${H} + u) * f * (1.0 - f);
  else if (gate == 2) v = dc * i * (1.0 - g * g);
  else v = dh * tc * o * (1.0 - o);
  setOutput(v);
}`,
  };
}

/** The gradient of hc [B, 2H]: none for h (it reaches the gates through R only), dc·f for c. */
function stateGrad(B: number, H: number): Program {
  return {
    variableNames: ['X', 'R', 'O', 'D'],
    outputShape: [B, 2 * H],
    userCode: `${MATH}
void main() {
  ivec2 rc = getOutputCoords();
  int r = rc.x;
  if (rc.y < ${H}) {
    setOutput(0.0);
    return;
  }
  int u = rc.y - ${H};
  float o = sig(pre(r, ${3 * H} + u));
  float tc = th(getO(r, ${H} + u));
  float dh = getD(r, u);
  float dc = getD(r, ${H} + u) + dh * o * (1.0 - tc * tc);
  setOutput(dc * sig(pre(r, ${H} + u)));
}`,
  };
}

interface WebGLBackend {
  runWebGLProgram(program: Program, inputs: TensorInfo[], dtype: 'float32'): TensorInfo;
}

const dims = (hc: TensorInfo): [number, number] => [hc.shape[0]!, hc.shape[1]! / 2];

const forwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { xp, hp, hc } = inputs as Record<string, TensorInfo>;
  const [B, H] = dims(hc!);
  return (backend as unknown as WebGLBackend).runWebGLProgram(forward(B, H), [xp!, hp!, hc!], 'float32');
};

const backwardKernel: KernelFunc = ({ inputs, backend }) => {
  const { xp, hp, hc, out, dy } = inputs as Record<string, TensorInfo>;
  const [B, H] = dims(hc!);
  const gl = backend as unknown as WebGLBackend;
  return [gl.runWebGLProgram(gatesGrad(B, H), [xp!, hp!, hc!, out!, dy!], 'float32'), gl.runWebGLProgram(stateGrad(B, H), [xp!, hp!, out!, dy!], 'float32')];
};

export const webglLstmKernels: KernelConfig[] = [
  { kernelName: LSTM_FORWARD, backendName: 'webgl', kernelFunc: forwardKernel },
  { kernelName: LSTM_BACKWARD, backendName: 'webgl', kernelFunc: backwardKernel },
];

const step = customGrad((...args: (Tensor | GradSaveFunc)[]) => {
  const [xp, hp, hc, save] = args as [Tensor, Tensor, Tensor, GradSaveFunc];
  const out = engine().runKernel(LSTM_FORWARD, { xp, hp, hc } as unknown as NamedTensorMap) as Tensor;
  save([xp, hp, hc, out]);
  return {
    value: out,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xs, hs, hcs, outs] = saved as [Tensor, Tensor, Tensor, Tensor];
      const [dpre, dhc] = engine().runKernel(LSTM_BACKWARD, { xp: xs, hp: hs, hc: hcs, out: outs, dy } as unknown as NamedTensorMap) as unknown as Tensor[];
      return [dpre!, clone(dpre!), dhc!];
    },
  };
});

/** hc of the states this module made, so the next step reads it without a concat. */
const joined = new WeakMap<Tensor, Tensor>();

/** Whether the fused training step runs on the backend in use (WebGL). */
export function webglLstmHere(): boolean {
  return getKernel(LSTM_FORWARD, getBackend()) !== undefined;
}

/** An LSTM step from the input share xp and recurrent share hp ([B, 4H], biases in xp); differentiable. */
export function webglLstmStep(xp: Tensor2D, hp: Tensor2D, s: LayerState): LayerState {
  // A window's first step reads a state kept from the last window, whose hc its scope has freed.
  const made = joined.get(s.h);
  const hc = made && !made.isDisposed ? made : concat([s.h, s.c!], 1);
  const out = step(xp, hp, hc) as Tensor2D;
  const [h, c] = split(out, 2, 1) as [Tensor2D, Tensor2D];
  joined.set(h, out);
  return { h, c };
}
