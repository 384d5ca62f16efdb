"""PyTorch peer benchmark for pixelstreams (issue 16). Run with the system Python that has torch
(Debian: `apt-get install python3-torch`).

Two ways to run it:
  python3 bench/peer/peer.py --model pixelcnn --threads 1 --steps 8
      trains the model (RMSProp, batch 16) for 2 warm-up + N timed steps and prints images/s;
  python3 bench/peer/peer.py --serve
      reads JSON commands, one a line, on stdin and answers one JSON line each on stdout — what
      `npm run bench -- --peer` (bench/peer.ts) uses to alternate PyTorch's steps with ours in one run:
        {"cmd": "hello"}                                            -> {"torch": version, "capability": ...}
        {"cmd": "train", "model": M, "threads": T, "steps": N}     -> {"seconds": [...], "loss": L}
        {"cmd": "forward", "model": M, "threads": T, "shape": [H, W, C], "repeats": N} -> {"seconds": [...]}
        {"cmd": "sample", "model": "pixelcnn", "threads": T, "shape": [H, W, C], "positions": P}
            -> {"seconds": s, "positions": P, "total_positions": H*W*C}
      Models and optimiser state persist between commands (one per model, shape and thread count),
      so a train command continues training where the last one stopped.
"""

import argparse
import json
import sys
import time

import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from models import batch_of, build, naive_sample_positions  # noqa: E402

BATCH = 16
_trainers = {}


def _threads(n):
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


class Trainer:
    def __init__(self, name, height, width, channels, seed=1):
        torch.manual_seed(seed)
        self.name, self.shape = name, (height, width, channels)
        self.model = build(name, channels)
        # pixelstreams' defaultOptimizer('rmsprop'): lr 1e-3, decay 0.95, epsilon 1e-6
        self.opt = torch.optim.RMSprop(self.model.parameters(), lr=1e-3, alpha=0.95, eps=1e-6)
        self.step_index = 0

    def step(self):
        h, w, c = self.shape
        x = batch_of(self.name, BATCH, h, w, c, 1000 + self.step_index)
        self.step_index += 1
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        loss = self.model.loss(x)
        loss.backward()
        self.opt.step()
        return time.perf_counter() - t0, float(loss)


def trainer(name, threads, shape=(28, 28, 1)):
    key = (name, threads, tuple(shape))
    if key not in _trainers:
        _trainers[key] = Trainer(name, *shape)
    return _trainers[key]


def handle(msg):
    cmd = msg.get("cmd")
    if cmd == "hello":
        return {"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability()
                if hasattr(torch.backends, "cpu") else "unknown", "mkldnn": torch.backends.mkldnn.is_available()}
    threads = int(msg.get("threads", 1))
    _threads(threads)
    if cmd == "train":
        t = trainer(msg["model"], threads, msg.get("shape", (28, 28, 1)))
        seconds, loss = [], None
        for _ in range(int(msg.get("steps", 1))):
            s, loss = t.step()
            seconds.append(s)
        return {"seconds": seconds, "loss": loss}
    if cmd == "forward":
        h, w, c = msg["shape"]
        t = trainer(msg["model"], threads, (h, w, c))
        x = batch_of(t.name, BATCH, h, w, c, 7).float()
        seconds = []
        with torch.no_grad():
            for _ in range(int(msg.get("repeats", 3))):
                t0 = time.perf_counter()
                t.model(x)
                seconds.append(time.perf_counter() - t0)
        return {"seconds": seconds}
    if cmd == "sample":
        h, w, c = msg["shape"]
        t = trainer(msg["model"], threads, (h, w, c))
        positions = int(msg["positions"])
        naive_sample_positions(t.model, BATCH, h, w, c, 1)  # warm-up
        t0 = time.perf_counter()
        naive_sample_positions(t.model, BATCH, h, w, c, positions)
        return {"seconds": time.perf_counter() - t0, "positions": positions, "total_positions": h * w * c}
    raise ValueError(f"unknown command {cmd!r}: expected hello, train, forward or sample")


def serve():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            out = handle(json.loads(line))
        except Exception as e:  # answer, so that the caller can say what went wrong
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--serve", action="store_true")
    p.add_argument("--model", default="pixelcnn", choices=["pixelcnn", "row-lstm", "diagonal-bilstm"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=8)
    a = p.parse_args()
    if a.serve:
        return serve()
    out = handle({"cmd": "train", "model": a.model, "threads": a.threads, "steps": 2 + a.steps})
    timed = sorted(out["seconds"][2:])
    med = timed[len(timed) // 2] if len(timed) % 2 else (timed[len(timed) // 2 - 1] + timed[len(timed) // 2]) / 2
    print(f"{a.model}: torch {torch.__version__}, {a.threads} thread(s), batch {BATCH}: "
          f"median step {med * 1000:.0f} ms = {BATCH / med:.1f} images/s (loss {out['loss']:.1f})")


if __name__ == "__main__":
    main()
