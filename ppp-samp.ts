import { selectBackend } from './src/backend.js';
import { initModel } from './src/models/registry.js';
import { pixelCnnPpPresets, cachedPixelCnnPpSampler } from './src/models/pixelcnnpp/index.js';
import { samplerSeconds, forwardSeconds } from './bench/sampling.js';
await selectBackend('wasm');
const m = initModel(pixelCnnPpPresets.small({ height: 32, width: 32, channels: 3, levels: 256 }), 1);
samplerSeconds(m, 16, cachedPixelCnnPpSampler, 2 * 32 * 3);
console.log('cached s', samplerSeconds(m, 16, cachedPixelCnnPpSampler).toFixed(2), 'forward s', forwardSeconds(m, 16, 3).toFixed(3));
