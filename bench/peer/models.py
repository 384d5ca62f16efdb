"""The peer a CPU user would pick instead of pixelstreams: the same models in PyTorch, written the way
PyTorch users write them (nn.Conv2d subclasses with a mask buffer, conv2d over the masked weights,
RMSProp, a Python loop over rows or columns for the recurrent layers).

Architectures match pixelstreams' presets (src/models/registry.ts):
  - reference PixelCNN ('pixelcnn'): 28x28x1, K = 256, h = 64, a 7x7 mask-A conv, 6 residual 3x3
    mask-B convs (x + conv(relu(x))), relu - 1x1 (64) - relu - 1x1 (256 logits), softmax
    cross-entropy;
  - 'row-lstm' and 'diagonal-bilstm' ('mnist-row-lstm', 'mnist-diagonal-bilstm'): binarized
    28x28x1 (K = 2, one Bernoulli logit), h = 16, 7 recurrent layers, a 7x7 mask-A conv (1 -> 2h),
    per layer the recurrent layer (2h -> h), a 1x1 conv (h -> 2h), residual and skip connections,
    relu - 1x1 (32) - relu - 1x1 (1). Row LSTM: 1x3 mask-B input-to-state, 1x3 state-to-state over the
    row above, rows top to bottom. Diagonal BiLSTM: 1x1 input-to-state, skew, 2x1 state-to-state
    down each column, two directions, the right one shifted down a row; the first layer's right
    direction also reads the pixels (1x1), as pixelstreams' does. Gates [i, f, o, g].
Loss: mean over the batch of the per-image NLL in nats (sum over pixels), as pixelstreams trains.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MaskedConv2d(nn.Conv2d):
    """A conv2d whose kernel is multiplied by a causal mask on every call (one channel group)."""

    def __init__(self, mask_type, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kh, kw = self.kernel_size
        mask = torch.ones_like(self.weight)
        cy, cx = kh // 2, kw // 2
        mask[:, :, cy, cx + (mask_type == "B"):] = 0
        mask[:, :, cy + 1:] = 0
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, self.stride, self.padding)


class PixelCNN(nn.Module):
    def __init__(self, channels=1, levels=256, hidden=64, residual_layers=6, head_hidden=64):
        super().__init__()
        self.levels = levels
        self.input = MaskedConv2d("A", channels, hidden, 7, padding=3)
        self.res = nn.ModuleList(MaskedConv2d("B", hidden, hidden, 3, padding=1) for _ in range(residual_layers))
        self.head0 = nn.Conv2d(hidden, head_hidden, 1)
        self.head1 = nn.Conv2d(head_hidden, channels * levels, 1)

    def forward(self, x):  # x: [B, C, H, W] levels as floats
        h = self.input(x * (2 / (self.levels - 1)) - 1)
        for conv in self.res:
            h = h + conv(F.relu(h))
        h = self.head0(F.relu(h))
        out = self.head1(F.relu(h))  # [B, C*K, H, W]
        b, _, hh, ww = out.shape
        return out.view(b, -1, self.levels, hh, ww).transpose(1, 2)  # [B, K, C, H, W]

    def loss(self, x):
        logits = self(x.float())
        nll = F.cross_entropy(logits, x.long(), reduction="none")  # [B, C, H, W]
        return nll.flatten(1).sum(1).mean()


class RowLSTMLayer(nn.Module):
    def __init__(self, in_features, hidden):
        super().__init__()
        self.hidden = hidden
        self.input_to_state = MaskedConv2d("B", in_features, 4 * hidden, (1, 3), padding=(0, 1))
        self.state_to_state = nn.Conv1d(hidden, 4 * hidden, 3, padding=1, bias=False)
        self.h0 = nn.Parameter(torch.zeros(hidden))
        self.c0 = nn.Parameter(torch.zeros(hidden))

    def forward(self, x):  # [B, in, H, W] -> [B, h, H, W]
        b, _, height, width = x.shape
        gates_in = self.input_to_state(x)  # [B, 4h, H, W]
        h = self.h0.view(1, -1, 1).expand(b, -1, width)
        c = self.c0.view(1, -1, 1).expand(b, -1, width)
        states = []
        for row in gates_in.unbind(2):  # unbind, not gates_in[:, :, i]: each slice's backward fills a whole map
            gates = row + self.state_to_state(h)  # [B, 4h, W]
            ig, fg, og, gg = gates.chunk(4, 1)
            c = torch.sigmoid(fg) * c + torch.sigmoid(ig) * torch.tanh(gg)
            h = torch.sigmoid(og) * torch.tanh(c)
            states.append(h)
        return torch.stack(states, 2)


def skew(x):  # [B, F, H, W] -> [B, F, H, 2W-1], row r shifted right by r
    height, width = x.shape[2:]
    return torch.stack([F.pad(row, (r, width - 1 - r)) for r, row in enumerate(x.unbind(2))], 2)


def unskew(x, width):  # [B, F, H, 2W-1] -> [B, F, H, W]
    return torch.stack([row[:, :, r:r + width] for r, row in enumerate(x.unbind(2))], 2)


class DiagonalLSTM(nn.Module):
    """One direction: 1x1 input-to-state, skew, a 2x1 state-to-state conv down each column."""

    def __init__(self, in_features, hidden, pixel_features=0):
        super().__init__()
        self.hidden = hidden
        self.input_to_state = nn.Conv2d(in_features, 4 * hidden, 1)  # 1x1 mask B, one channel group: unmasked
        self.pixels = nn.Conv2d(pixel_features, 4 * hidden, 1, bias=False) if pixel_features else None
        self.state_to_state = nn.Conv1d(hidden, 4 * hidden, 2, padding=1, bias=False)
        self.h0 = nn.Parameter(torch.zeros(hidden))
        self.c0 = nn.Parameter(torch.zeros(hidden))

    def forward(self, x, pixels=None):
        b, _, height, width = x.shape
        gates_in = self.input_to_state(x)
        if self.pixels is not None:
            gates_in = gates_in + self.pixels(pixels)
        skewed = skew(gates_in)  # [B, 4h, H, 2W-1]
        h = self.h0.view(1, -1, 1).expand(b, -1, height)
        c = self.c0.view(1, -1, 1).expand(b, -1, height)
        states = []
        for column in skewed.unbind(3):
            gates = column + self.state_to_state(h)[:, :, :height]  # rows r-1 and r
            ig, fg, og, gg = gates.chunk(4, 1)
            c = torch.sigmoid(fg) * c + torch.sigmoid(ig) * torch.tanh(gg)
            h = torch.sigmoid(og) * torch.tanh(c)
            states.append(h)
        return unskew(torch.stack(states, 3), width)


class DiagonalBiLSTMLayer(nn.Module):
    def __init__(self, in_features, hidden, pixel_features=0):
        super().__init__()
        self.left = DiagonalLSTM(in_features, hidden)
        self.right = DiagonalLSTM(in_features, hidden, pixel_features)

    def forward(self, x, pixels):
        left = self.left(x)
        right = self.right(x.flip(3), pixels.flip(3)).flip(3)
        right = F.pad(right, (0, 0, 1, 0))[:, :, :-1]  # shifted down one row
        return left + right


class PixelRNN(nn.Module):
    def __init__(self, family, channels=1, hidden=16, layers=7, head_hidden=32):
        super().__init__()
        self.family = family
        self.input = MaskedConv2d("A", channels, 2 * hidden, 7, padding=3)
        if family == "row-lstm":
            self.recurrent = nn.ModuleList(RowLSTMLayer(2 * hidden, hidden) for _ in range(layers))
        else:
            self.recurrent = nn.ModuleList(
                DiagonalBiLSTMLayer(2 * hidden, hidden, channels if l == 0 else 0) for l in range(layers)
            )
        self.outputs = nn.ModuleList(nn.Conv2d(hidden, 2 * hidden, 1) for _ in range(layers))
        self.head0 = nn.Conv2d(2 * hidden, head_hidden, 1)
        self.head1 = nn.Conv2d(head_hidden, channels, 1)

    def forward(self, x):  # [B, C, H, W] in {0, 1}
        unit = x * 2 - 1
        m = self.input(unit)
        skips = 0
        for layer, out in zip(self.recurrent, self.outputs):
            states = layer(m) if self.family == "row-lstm" else layer(m, unit)
            m = m + out(states)
            skips = skips + m
        h = self.head0(F.relu(skips))
        return self.head1(F.relu(h))  # [B, C, H, W] Bernoulli logits

    def loss(self, x):
        logits = self(x.float())
        nll = F.binary_cross_entropy_with_logits(logits, x.float(), reduction="none")
        return nll.flatten(1).sum(1).mean()


def build(name, channels=1):
    if name == "pixelcnn":
        return PixelCNN(channels=channels)
    if name in ("row-lstm", "diagonal-bilstm"):
        return PixelRNN(name, channels=channels)
    raise ValueError(f"unknown model '{name}': expected pixelcnn, row-lstm or diagonal-bilstm")


def batch_of(name, batch, height, width, channels, seed):
    g = torch.Generator().manual_seed(seed)
    if name == "pixelcnn":
        return torch.randint(0, 256, (batch, channels, height, width), generator=g, dtype=torch.uint8)
    return (torch.rand(batch, channels, height, width, generator=g) < 0.2).to(torch.uint8)


@torch.no_grad()
def naive_sample_positions(model, batch, height, width, channels, positions, seed=1):
    """The naive sampler PyTorch users write: rerun the network for every value, raster order, R G B.
    Runs the first `positions` values; returns the images so far."""
    torch.manual_seed(seed)
    x = torch.zeros(batch, channels, height, width)
    n = 0
    for i in range(height):
        for j in range(width):
            for c in range(channels):
                if n == positions:
                    return x
                logits = model(x)  # [B, K, C, H, W]
                probs = F.softmax(logits[:, :, c, i, j], 1)
                x[:, c, i, j] = torch.multinomial(probs, 1).squeeze(1).float()
                n += 1
    return x
