// The one place the project imports TensorFlow.js from (core ops, all gradients, cpu and webgl
// registrations). backend.ts adds the rest of the ladder: tensorflow (tfjs-node[-gpu]) and wasm.
import * as tf from '@tensorflow/tfjs';

export { tf };
export type Tensor = tf.Tensor;
export type Tensor1D = tf.Tensor1D;
export type Tensor2D = tf.Tensor2D;
export type Tensor4D = tf.Tensor4D;
export type Tensor5D = tf.Tensor5D;
export type Scalar = tf.Scalar;
export type NamedTensors = Record<string, tf.Tensor>;
