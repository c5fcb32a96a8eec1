#!/usr/bin/env python3
"""Write tests/data/minilm_reference.json: reference sentence embeddings of
all-MiniLM-L6-v2 for the Rust test tests/embed.rs.

sentence-transformers/torch are far too heavy for this project's machines, so
this script re-implements, independently of candle and in float64 numpy, what
sentence-transformers does for this model (modules.json: Transformer ->
Pooling(mean) -> Normalize):

  * tokenisation with the Hugging Face `tokenizers` package (the "fast"
    tokenizer that transformers/sentence-transformers use), from the model's own
    tokenizer.json, truncated to max_seq_length = 256 (sentence_bert_config.json);
  * transformers' BertModel forward pass (absolute positions, token type 0,
    post-LayerNorm, exact erf GELU, eps from config.json), read straight from
    model.safetensors;
  * mean pooling over the attention mask, then L2 normalisation.

Each sentence is encoded on its own (no padding), so the numbers are the exact
maths, without float32 rounding. Deterministic: rerunning it gives the same file.

Usage (needs only `pip install numpy tokenizers`):
  scripts/fetch-model.sh
  python3 scripts/make-embedding-reference.py [MODEL_DIR] [OUT_JSON]
"""

import hashlib
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

MAX_SEQ_LENGTH = 256

SENTENCES = [
    "Who owns cybersecurity in the company?",
    "The CIO oversees information security and IT operations.",
    "The CTO leads product development and the engineering organisation.",
    "A Chief Data Officer is accountable for data governance, quality and analytics.",
    "Qu'est-ce qu'un DSI ? Le directeur des systèmes d'information — Überblick, naïve café, 数据.",
    "",
    # Longer than 256 word pieces: exercises truncation.
    " ".join(
        ["The VP of Engineering manages engineering managers, hiring plans and delivery;"] * 30
    ),
]

_ST_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64}


def load_safetensors(path: Path) -> dict:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        arr = np.frombuffer(raw[base + start : base + end], dtype=_ST_DTYPES[info["dtype"]])
        out[name] = arr.reshape(info["shape"]).astype(np.float64)
    return out


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def linear(x, t, prefix):
    return x @ t[prefix + ".weight"].T + t[prefix + ".bias"]


def bert(ids, t, cfg):
    eps = cfg["layer_norm_eps"]
    heads = cfg["num_attention_heads"]
    n = len(ids)
    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][:n]
        + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    hd = x.shape[1] // heads
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = linear(x, t, p + "attention.self.query").reshape(n, heads, hd).transpose(1, 0, 2)
        k = linear(x, t, p + "attention.self.key").reshape(n, heads, hd).transpose(1, 0, 2)
        v = linear(x, t, p + "attention.self.value").reshape(n, heads, hd).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s = s / s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, heads * hd)
        a = layer_norm(
            linear(ctx, t, p + "attention.output.dense") + x,
            t[p + "attention.output.LayerNorm.weight"],
            t[p + "attention.output.LayerNorm.bias"],
            eps,
        )
        h = gelu(linear(a, t, p + "intermediate.dense"))
        x = layer_norm(
            linear(h, t, p + "output.dense") + a,
            t[p + "output.LayerNorm.weight"],
            t[p + "output.LayerNorm.bias"],
            eps,
        )
    return x


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    model_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "models/all-MiniLM-L6-v2"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else root / "tests/data/minilm_reference.json"
    cfg = json.loads((model_dir / "config.json").read_text())
    weights_path = model_dir / "model.safetensors"
    t = load_safetensors(weights_path)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_SEQ_LENGTH)

    items = []
    for text in SENTENCES:
        ids = tok.encode(text).ids
        hidden = bert(np.array(ids), t, cfg)
        pooled = hidden.mean(0)  # attention mask is all ones without padding
        emb = pooled / max(np.linalg.norm(pooled), 1e-12)
        items.append(
            {"text": text, "input_ids": ids, "embedding": [float(f"{v:.9g}") for v in emb]}
        )
        print(f"{len(ids):4d} tokens  {text[:60]!r}", file=sys.stderr)

    doc = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_safetensors_sha256": hashlib.sha256(weights_path.read_bytes()).hexdigest(),
        "max_seq_length": MAX_SEQ_LENGTH,
        "pooling": "mean over attention mask, then L2 normalisation",
        "generator": "scripts/make-embedding-reference.py (float64 numpy re-implementation)",
        "items": items,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
