"""The e5-small transformer in torch as a cross-encoder, for training only: the base weights stay
frozen and low-rank adapters (LoRA), biases, layer norms and a stance head learn, so what is
trained fits in about 0.7 M numbers (1.5 MB) beside the package's weights."""

from __future__ import annotations

import math

import numpy as np
import torch

from factnlp.e5 import E5File
from factnlp.stance_model.cross_encoder import LORA_SCALE

N_CLASSES = 4  # confirms, contradicts, discusses, unrelated


class LoRALinear(torch.nn.Module):
    def __init__(self, weight: np.ndarray, bias: np.ndarray, rank: int):
        super().__init__()
        self.w = torch.nn.Parameter(torch.from_numpy(weight), requires_grad=False)
        self.b = torch.nn.Parameter(torch.from_numpy(bias))
        self.rank = rank
        self.a = torch.nn.Parameter(torch.randn(rank, weight.shape[1]) / math.sqrt(weight.shape[1]))
        self.up = torch.nn.Parameter(torch.zeros(weight.shape[0], rank))  # starts as the base model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.linear(x, self.w, self.b) + (x @ self.a.t()) @ self.up.t() * (LORA_SCALE / self.rank)


def _layer_norm(weight: np.ndarray, bias: np.ndarray, eps: float) -> torch.nn.LayerNorm:
    norm = torch.nn.LayerNorm(weight.shape[0], eps=eps)
    norm.weight.data[:] = torch.from_numpy(weight)
    norm.bias.data[:] = torch.from_numpy(bias)
    return norm


class CrossEncoder(torch.nn.Module):
    """<s> claim </s></s> evidence </s> -> stance logits from the first token and the mean token."""

    def __init__(self, e5: E5File, *, rank: int = 8, dropout: float = 0.1):
        super().__init__()
        w = e5.weights()
        self.heads = e5.heads
        self.word = torch.nn.Parameter(torch.from_numpy(w["emb.word"]), requires_grad=False)
        self.pos = torch.nn.Parameter(torch.from_numpy(w["emb.pos"]), requires_grad=False)
        self.tok_type = torch.nn.Parameter(torch.from_numpy(w["emb.type"]), requires_grad=False)
        self.eln = _layer_norm(w["emb.ln.w"], w["emb.ln.b"], e5.eps)
        self.layers = torch.nn.ModuleList()
        for index in range(e5.layers):
            layer = torch.nn.Module()
            for name in ("q", "k", "v", "ao", "fi", "fo"):
                setattr(layer, name, LoRALinear(w[f"l{index}.{name}.w"], w[f"l{index}.{name}.b"], rank))
            for name in ("aln", "oln"):
                setattr(layer, name, _layer_norm(w[f"l{index}.{name}.w"], w[f"l{index}.{name}.b"], e5.eps))
            self.layers.append(layer)
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(2 * e5.hidden, N_CLASSES)

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length = ids.shape
        hidden = self.word.shape[1]
        size = hidden // self.heads
        x = self.eln(self.word[ids] + self.pos[:length][None] + self.tok_type)
        padding = (1.0 - mask[:, None, None, :]) * -1e9
        for layer in self.layers:
            q, k, v = (
                part(x).view(batch, length, self.heads, size).transpose(1, 2) for part in (layer.q, layer.k, layer.v)
            )
            attention = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(size) + padding, -1)
            context = (self.drop(attention) @ v).transpose(1, 2).reshape(batch, length, hidden)
            x = layer.aln(x + self.drop(layer.ao(context)))
            x = layer.oln(x + self.drop(layer.fo(torch.nn.functional.gelu(layer.fi(x)))))
        return x

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.encode(ids, mask)
        mean = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(self.drop(torch.cat([x[:, 0], mean], -1)))

    def trained_state(self) -> dict[str, np.ndarray]:
        return {name: p.detach().numpy().copy() for name, p in self.named_parameters() if p.requires_grad}

    def load_trained_state(self, state) -> None:
        parameters = dict(self.named_parameters())
        for name in state:
            parameters[name].data[:] = torch.from_numpy(np.asarray(state[name]))
