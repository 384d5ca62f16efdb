// Painting samples value by value: one canvas per image, each value event sets one channel of one
// pixel and repaints that pixel (grey for one channel; R, G, B as they arrive for three). The levels
// painted are kept, so a test can compare what reached the page with the finished image.

import type { ImageShape } from '../src/model.js';
import type { SampleEvent } from '../src/sampling/types.js';

export class ImageGrid {
  readonly levels: Uint8Array[];
  readonly finished: (Uint8Array | null)[];
  values = 0;
  private readonly ctx: CanvasRenderingContext2D[];

  constructor(container: HTMLElement, private readonly shape: ImageShape, count: number, known?: readonly Uint8Array[]) {
    container.replaceChildren();
    const scale = Math.max(1, Math.floor(112 / Math.max(shape.height, shape.width)));
    this.levels = Array.from({ length: count }, (_, n) => (known?.[n] ? Uint8Array.from(known[n]!) : new Uint8Array(shape.height * shape.width * shape.channels)));
    this.finished = Array.from({ length: count }, () => null);
    this.ctx = this.levels.map(() => {
      const c = document.createElement('canvas');
      c.width = shape.width;
      c.height = shape.height;
      c.style.width = `${shape.width * scale}px`;
      c.style.height = `${shape.height * scale}px`;
      container.append(c);
      return c.getContext('2d')!;
    });
    if (known) for (let n = 0; n < count; n++) for (let i = 0; i < shape.height; i++) for (let j = 0; j < shape.width; j++) this.paint(n, i, j);
  }

  private paint(n: number, i: number, j: number): void {
    const { width, channels, levels } = this.shape;
    const at = (i * width + j) * channels;
    const v = (c: number) => Math.round((this.levels[n]![at + c]! * 255) / (levels - 1));
    const [r, g, b] = channels === 1 ? [v(0), v(0), v(0)] : [v(0), v(1), v(2)];
    this.ctx[n]!.fillStyle = `rgb(${r},${g},${b})`;
    this.ctx[n]!.fillRect(j, i, 1, 1);
  }

  event(e: SampleEvent): void {
    if (e.kind === 'value') {
      const { width, channels } = this.shape;
      this.levels[e.image]![(e.row * width + e.col) * channels + e.channel] = e.value;
      this.values++;
      this.paint(e.image, e.row, e.col);
    } else if (e.kind === 'image') this.finished[e.image] = Uint8Array.from(e.pixels);
  }
}
