import * as E from 'fp-ts/lib/Either.js';
import { filter, lastValueFrom, tap, toArray } from 'rxjs';
import {
  bindModel, defaultOptimizer, embeddedMnist, epochs, evaluationStream, initModel, initTrainState,
  presets, sample, selectBackend, train, type ImageSet,
} from 'pixelstreams';

export async function composeExample(steps = 200): Promise<{ bitsPerDim: number; samples: Uint8Array[] }> {
  await selectBackend(); // tensorflow (GPU, CPU) → wasm → cpu: the best that loads
  const orThrow = <A>(r: E.Either<Error, A>): A => E.getOrElseW((e: Error) => { throw e; })(r);
  const digits: ImageSet = orThrow(embeddedMnist({ binarize: { kind: 'threshold' } }));
  const [heldOut, trainSet] = [digits.records.slice(0, 500), digits.records.slice(500)];

  const spec = presets.small({ height: 28, width: 28, channels: 1, levels: 2 });
  const initial = initTrainState(spec, initModel(spec, 1).params, defaultOptimizer('rmsprop'));

  // ingest → batch → train: one event per step; the last one carries the trained state
  const last = await lastValueFrom(
    epochs({ ...digits, records: trainSet }, { batchSize: 16, seed: 1, maxSteps: steps }).pipe(
      train(initial),
      tap(({ metrics }) => metrics.step % 50 === 0 && console.log(`step ${metrics.step}: ${metrics.bitsPerDim.toFixed(3)} bits/dim`)),
    ),
  );
  const model = bindModel(spec, last.state.params);

  // evaluate: running mean over the held-out digits
  const { bitsPerDim } = await lastValueFrom(evaluationStream(model, { ...digits, records: heldOut }, 100));

  // sample: a cold stream of events, value by value; keep the finished images
  const samples = await lastValueFrom(
    sample(model, { count: 4, seed: 7 }).pipe(
      filter((e) => e.kind === 'image'),
      toArray(),
    ),
  ).then((events) => events.map((e) => e.pixels));

  Object.values(model.params).forEach((t) => t.dispose());
  return { bitsPerDim, samples };
}
