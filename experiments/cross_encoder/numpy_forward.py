"""The trained cross-encoder in numpy alone (adapters merged into the weights), as the product
would run it without torch; matches the torch model to about 1e-6 on the logits."""

from __future__ import annotations

import numpy as np

from experiments.cross_encoder.e5_file import E5File, dequantise_q4

LORA_SCALE = 16.0  # alpha: an adapter's update is scaled by alpha / rank (torch_model uses it too)


def erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz and Stegun 7.1.26, error under 1.5e-7: numpy has no erf and GELU needs one
    sign, a = np.sign(x), np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return sign * (1.0 - poly * np.exp(-a * a))


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + eps) * weight + bias


class NumpyCrossEncoder:
    def __init__(self, e5: E5File, state):
        w = e5.weights(word_embeddings=False)  # they stay 4-bit, rows dequantised as they are looked up
        state = {name: np.asarray(state[name], dtype=np.float32) for name in state}
        self.hidden, self.heads, self.eps = e5.hidden, e5.heads, e5.eps
        self.word_blocks, self.pos, self.tok_type = e5.word_blocks(), w["emb.pos"], w["emb.type"]
        self.eln = (state.get("eln.weight", w["emb.ln.w"]), state.get("eln.bias", w["emb.ln.b"]))
        self.layers = []
        for index in range(e5.layers):
            layer = {}
            for name in ("q", "k", "v", "ao", "fi", "fo"):
                weight = w[f"l{index}.{name}.w"]
                down = state.get(f"layers.{index}.{name}.a")
                if down is not None:
                    weight = weight + state[f"layers.{index}.{name}.up"] @ down * (LORA_SCALE / down.shape[0])
                bias = state.get(f"layers.{index}.{name}.b", w[f"l{index}.{name}.b"])
                layer[name] = (np.ascontiguousarray(weight.T), bias)
            for name in ("aln", "oln"):
                layer[name] = (
                    state.get(f"layers.{index}.{name}.weight", w[f"l{index}.{name}.w"]),
                    state.get(f"layers.{index}.{name}.bias", w[f"l{index}.{name}.b"]),
                )
            self.layers.append(layer)
        self.head = (state["head.weight"].T, state["head.bias"])

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        size = self.hidden // self.heads
        words = dequantise_q4(self.word_blocks[ids.ravel()], ids.size, self.hidden).reshape(batch, length, -1)
        x = layer_norm(words + self.pos[:length][None] + self.tok_type, *self.eln, self.eps)
        padding = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for layer in self.layers:

            def linear(name, z, layer=layer):
                return z @ layer[name][0] + layer[name][1]

            q = linear("q", x).reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)
            k = linear("k", x).reshape(batch, length, self.heads, size).transpose(0, 2, 3, 1)
            v = linear("v", x).reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)
            scores = q @ k / np.sqrt(size) + padding
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.hidden)
            x = layer_norm(x + linear("ao", context), *layer["aln"], self.eps)
            inner = linear("fi", x)
            inner = 0.5 * inner * (1.0 + erf(inner * 0.7071067811865476))
            x = layer_norm(x + linear("fo", inner), *layer["oln"], self.eps)
        mean = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return np.concatenate([x[:, 0], mean], -1) @ self.head[0] + self.head[1]
