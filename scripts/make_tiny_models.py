#!/usr/bin/env python3
"""Writes two tiny random-weight GGUF models for the LLM layer's fast tests.

    tiny-bert.gguf    BERT encoder (2 layers, 32 dims, MEAN pooling) with the
                      bert-bge WordPiece vocabulary
    tiny-llama.gguf   llama decoder (2 layers, 32 dims) with the llama SPM
                      vocabulary and a ChatML chat template

The vocabularies are copied from the vocab-only GGUFs that ship in llama.cpp's
source tree (models/ggml-vocab-*.gguf, in the pinned tree scripts/build_llama.sh
keeps in ~/.cache/tailor/llama.cpp). Weights are N(0, 0.02) from a fixed seed,
so the files are identical on every run. They let tests exercise tokenisation,
batching, pooling, sampling, stop strings and GBNF grammars in milliseconds,
with no download: a random model's output is noise, but noise that a grammar
must still force into valid JSON.

    make_tiny_models.py --vocab-dir <llama.cpp>/models --out <dir>
"""
import argparse
import os
import sys

import numpy as np
import gguf

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def copy_tokenizer(writer, vocab_path):
    """Copies every tokenizer.* key of a vocab-only GGUF; returns the vocab size."""
    reader = gguf.GGUFReader(vocab_path)
    n_vocab = 0
    for field in reader.fields.values():
        name = field.name
        if not name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        if vtype == gguf.GGUFValueType.ARRAY:
            sub = field.types[-1]
            values = [field.parts[i] for i in field.data]
            if sub == gguf.GGUFValueType.STRING:
                items = [bytes(v).decode("utf-8", errors="surrogateescape") for v in values]
                writer.add_array(name, items)
            else:
                items = [v.tolist()[0] for v in values]
                writer.add_array(name, items)
            if name == "tokenizer.ggml.tokens":
                n_vocab = len(values)
        elif vtype == gguf.GGUFValueType.STRING:
            writer.add_string(name, bytes(field.parts[field.data[0]]).decode("utf-8"))
        elif vtype == gguf.GGUFValueType.BOOL:
            writer.add_bool(name, bool(field.parts[field.data[0]][0]))
        elif vtype in (gguf.GGUFValueType.UINT32, gguf.GGUFValueType.INT32):
            writer.add_uint32(name, int(field.parts[field.data[0]][0]))
        elif vtype == gguf.GGUFValueType.FLOAT32:
            writer.add_float32(name, float(field.parts[field.data[0]][0]))
        else:
            raise SystemExit(f"unsupported tokenizer field type {vtype} for {name}")
    return n_vocab


def rand(rng, *shape):
    # ggml's tensor shapes are the reverse of numpy's; gguf-py reverses them
    # on write, so numpy (out, in) becomes ggml ne = [in, out] as llama.cpp expects.
    return (rng.standard_normal(shape) * 0.02).astype(np.float32)


def write_bert(path, vocab_path, rng):
    n_embd, n_ff, n_layer, n_head, n_ctx = 32, 64, 2, 4, 128
    w = gguf.GGUFWriter(path, "bert")
    w.add_name("tiny-bert (random, tests only)")
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(n_ff)
    w.add_block_count(n_layer)
    w.add_head_count(n_head)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    n_vocab = copy_tokenizer(w, vocab_path)
    w.add_tensor("token_embd.weight", rand(rng, n_vocab, n_embd))
    w.add_tensor("token_types.weight", rand(rng, 2, n_embd))
    w.add_tensor("position_embd.weight", rand(rng, n_ctx, n_embd))
    w.add_tensor("token_embd_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("token_embd_norm.bias", np.zeros(n_embd, np.float32))
    for i in range(n_layer):
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"blk.{i}.{name}.weight", rand(rng, n_embd, n_embd))
            w.add_tensor(f"blk.{i}.{name}.bias", np.zeros(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.attn_output_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.attn_output_norm.bias", np.zeros(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(rng, n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.bias", np.zeros(n_ff, np.float32))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(rng, n_embd, n_ff))
        w.add_tensor(f"blk.{i}.ffn_down.bias", np.zeros(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.layer_output_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.layer_output_norm.bias", np.zeros(n_embd, np.float32))
    finish(w)


def write_llama(path, vocab_path, rng):
    n_embd, n_ff, n_layer, n_head, n_ctx = 32, 64, 2, 4, 512
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("tiny-llama (random, tests only)")
    w.add_context_length(n_ctx)
    w.add_embedding_length(n_embd)
    w.add_feed_forward_length(n_ff)
    w.add_block_count(n_layer)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    n_vocab = copy_tokenizer(w, vocab_path)
    w.add_vocab_size(n_vocab)
    w.add_chat_template(CHATML)
    w.add_tensor("token_embd.weight", rand(rng, n_vocab, n_embd))
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("output.weight", rand(rng, n_vocab, n_embd))
    for i in range(n_layer):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            w.add_tensor(f"blk.{i}.{name}.weight", rand(rng, n_embd, n_embd))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, np.float32))
        w.add_tensor(f"blk.{i}.ffn_gate.weight", rand(rng, n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_up.weight", rand(rng, n_ff, n_embd))
        w.add_tensor(f"blk.{i}.ffn_down.weight", rand(rng, n_embd, n_ff))
    finish(w)


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab-dir", required=True, help="llama.cpp's models/ folder with ggml-vocab-*.gguf")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in ("ggml-vocab-bert-bge.gguf", "ggml-vocab-llama-spm.gguf"):
        if not os.path.isfile(os.path.join(args.vocab_dir, name)):
            sys.exit(f"make_tiny_models: {name} not found in {args.vocab_dir}")
    rng = np.random.default_rng(20261128)
    bert = os.path.join(args.out, "tiny-bert.gguf")
    llama = os.path.join(args.out, "tiny-llama.gguf")
    write_bert(bert + ".tmp", os.path.join(args.vocab_dir, "ggml-vocab-bert-bge.gguf"), rng)
    os.replace(bert + ".tmp", bert)
    write_llama(llama + ".tmp", os.path.join(args.vocab_dir, "ggml-vocab-llama-spm.gguf"), rng)
    os.replace(llama + ".tmp", llama)
    print(bert)
    print(llama)


if __name__ == "__main__":
    main()
