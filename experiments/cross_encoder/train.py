"""Fine-tune the cross-encoder's adapters: python -m experiments.cross_encoder.train [EPOCHS] [RANK]

Batches of 16 grouped by length, AdamW (5e-4 adapters, 1e-3 head), 5 % warm-up then linear decay,
class weights by inverse square-root frequency, seed 13. Writes OUT_DIR/ce-step{N}.npz per epoch.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import torch

from experiments.cross_encoder.prepare import OUT_DIR
from experiments.cross_encoder.torch_model import CrossEncoder
from factnlp.e5 import E5File
from factnlp.stance import STANCES
from factnlp.stance_model.metrics import per_class_f1

BATCH = 16


def length_batches(rows, lengths, rng, size=BATCH, shuffle=True):
    """Batches of similar length (less padding); shuffled groups of 50 batches when training."""
    rows = rng.permutation(rows) if shuffle else rows
    batches = []
    for start in range(0, len(rows), size * 50):
        group = rows[start : start + size * 50]
        group = group[np.argsort(lengths[group], kind="stable")]
        batches += [group[i : i + size] for i in range(0, len(group), size)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def probabilities(model, ids, lengths, pad, rows) -> np.ndarray:
    """Class probabilities of ``rows``, in the order of ``rows``."""
    was_training = model.training
    model.eval()
    out = np.zeros((len(rows), len(STANCES)), dtype=np.float32)
    position = {row: i for i, row in enumerate(rows)}
    with torch.inference_mode():
        for batch in length_batches(np.asarray(rows), lengths, None, 32, shuffle=False):
            width = int(lengths[batch].max())
            x = torch.from_numpy(ids[batch, :width].astype(np.int64))
            out[[position[row] for row in batch]] = torch.softmax(model(x, (x != pad).float()), -1).numpy()
    model.train(was_training)
    return out


def main(epochs: float = 2.0, rank: int = 8) -> None:
    torch.manual_seed(13)
    rng = np.random.default_rng(13)
    e5 = E5File()
    model = CrossEncoder(e5, rank=rank)
    data = np.load(OUT_DIR / "train.npz")
    ids, y, dev, source = data["ids"], data["y"], data["dev"], data["source"]
    lengths = (ids != e5.pad).sum(1)
    train_rows, dev_rows = np.flatnonzero(~dev), np.flatnonzero(dev)
    counts = np.bincount(y[train_rows], minlength=len(STANCES))
    weights = torch.tensor((counts.sum() / counts) ** 0.5, dtype=torch.float32)
    weights /= weights.mean()
    head = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith("head")]
    rest = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")]
    optimiser = torch.optim.AdamW([{"params": rest, "lr": 5e-4}, {"params": head, "lr": 1e-3}], weight_decay=0.01)
    per_epoch = math.ceil(len(train_rows) / BATCH)
    total = int(per_epoch * epochs)
    warm_up = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm_up, max(0.0, (total - s) / (total - warm_up)))
    )
    print(f"{len(train_rows)} training pairs, {len(dev_rows)} held out, {total} steps", flush=True)
    step, started, losses = 0, time.time(), []
    while step < total:
        for batch in length_batches(train_rows, lengths, rng):
            if step >= total:
                break
            width = int(lengths[batch].max())
            x = torch.from_numpy(ids[batch, :width].astype(np.int64))
            loss = torch.nn.functional.cross_entropy(
                model(x, (x != e5.pad).float()), torch.from_numpy(y[batch]), weight=weights
            )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(rest + head, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            losses.append(loss.item())
            if step % 50 == 0:
                rate = step * BATCH / (time.time() - started)
                print(f"step {step}/{total} loss {np.mean(losses[-50:]):.3f} {rate:.1f} pairs/s", flush=True)
            if step % per_epoch == 0 or step == total:
                predicted = probabilities(model, ids, lengths, e5.pad, dev_rows).argmax(1)
                for corpus in np.unique(source[dev_rows]):
                    keep = source[dev_rows] == corpus
                    f1 = per_class_f1(
                        gold=[STANCES[i] for i in y[dev_rows][keep]],
                        predicted=[STANCES[i] for i in predicted[keep]],
                        labels=STANCES,
                    )
                    rounded = {k: round(v, 3) for k, v in f1.items()}
                    print(f"held out {corpus} ({keep.sum()}): {rounded}", flush=True)
                np.savez(OUT_DIR / f"ce-step{step}.npz", **model.trained_state())
    print(f"done in {time.time() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 2.0, int(sys.argv[2]) if len(sys.argv) > 2 else 8)
