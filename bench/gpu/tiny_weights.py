"""Regenerate the tiny SD 1.5 / ControlNet fixture weights (tiny-sd15.safetensors, tiny-controlnet.safetensors).

The fixture weights are generated data (see ../../../shared/fixtures/README.md, section 2): each tiny model is built
from the ORIGINAL ldm/cldm modules with the configs of tiny-configs.json, and then every parameter is overwritten
from a private CPU torch.Generator seeded with the model's seed, visiting modules in named_modules() order. This
script does the same, so that the 84 MB of weights need not travel to the GPU machine (64 MiB per call):

  python3 tiny_weights.py --code DIR --configs tiny-configs.json --write OUTDIR     # writes the two files
  python3 tiny_weights.py --code DIR --configs tiny-configs.json --compare FIXDIR   # tensor-by-tensor check

DIR holds the original ldm/, cldm/ and einops/ packages (bench/gpu/anchor-code, git-ignored; see README.md).
All random numbers come from CPU generators, so the result does not depend on the device.

Rules that reproduce the fixtures bit-exactly (checked with --compare; the --variant options exist to test the
plausible alternatives the README leaves open):
  - generator g = torch.Generator().manual_seed(seed), one per model, drawn in named_modules() order, per module its
    own parameters in registration order (weight, then bias);
  - Conv/Linear weight: torch.rand(shape, generator=g) * 2 * b - b with b = sqrt(3 / fan_in)  (fan_in = in_channels
    * kh * kw for a conv, in_features for a linear); convs inside ControlNet's input_hint_block: b = 3 / sqrt(fan_in);
  - Conv/Linear bias: the same with b = 1 / sqrt(fan_in);
  - GroupNorm/LayerNorm: weight 1 + 0.1 * randn, bias 0.1 * randn;  nn.Embedding: randn.
"""
import argparse, json, math, os, struct, sys, time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- safetensors (own minimal reader and writer)

_DT = {"F32": (np.float32, torch.float32), "I64": (np.int64, torch.int64), "I32": (np.int32, torch.int32),
       "F64": (np.float64, torch.float64), "F16": (np.float16, torch.float16), "U8": (np.uint8, torch.uint8),
       "BOOL": (np.bool_, torch.bool)}


def read_safetensors(path):
    """Returns (ordered dict name -> tensor, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, e in header.items():
        s, t = e["data_offsets"]
        npdt = _DT[e["dtype"]][0]
        arr = np.frombuffer(raw, dtype=np.dtype(npdt).newbyteorder("<"), count=(t - s) // np.dtype(npdt).itemsize,
                            offset=base + s)
        out[name] = torch.from_numpy(arr.astype(npdt).reshape(e["shape"]))
    return out, meta


def write_safetensors(path, tensors, meta):
    """tensors: ordered dict name -> CPU tensor (F32/I64/I32); metadata strings in __metadata__."""
    rev = {v[1]: k for k, v in _DT.items()}
    header, blobs, off = {"__metadata__": dict(meta)}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        b = t.numpy().astype(np.dtype(_DT[rev[t.dtype]][0]).newbyteorder("<")).tobytes()
        header[name] = {"dtype": rev[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ---------------------------------------------------------------- the original modules

from original_code import import_original  # noqa: E402  (bench/gpu/original_code.py, shared with anchor.py)


# ---------------------------------------------------------------- CLIP text model (HF CLIPTextModel names/order)

class ClipAttention(nn.Module):
    def __init__(self, d):
        super().__init__()
        # registration order as in HF CLIPAttention: k, v, q, out
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.q_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)


class ClipMlp(nn.Module):
    def __init__(self, d, inner):
        super().__init__()
        self.fc1 = nn.Linear(d, inner)
        self.fc2 = nn.Linear(inner, d)


class ClipLayer(nn.Module):
    def __init__(self, d, inner, eps):
        super().__init__()
        self.self_attn = ClipAttention(d)
        self.layer_norm1 = nn.LayerNorm(d, eps=eps)
        self.mlp = ClipMlp(d, inner)
        self.layer_norm2 = nn.LayerNorm(d, eps=eps)


class ClipEmbeddings(nn.Module):
    def __init__(self, vocab, d, positions):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Embedding(positions, d)
        self.register_buffer("position_ids", torch.arange(positions).unsqueeze(0))


class ClipEncoder(nn.Module):
    def __init__(self, d, inner, layers, eps):
        super().__init__()
        self.layers = nn.ModuleList(ClipLayer(d, inner, eps) for _ in range(layers))


class ClipTextTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, eps = c["hidden_size"], c["layer_norm_eps"]
        self.embeddings = ClipEmbeddings(c["vocab_size"], d, c["max_position_embeddings"])
        self.encoder = ClipEncoder(d, c["intermediate_size"], c["num_hidden_layers"], eps)
        self.final_layer_norm = nn.LayerNorm(d, eps=eps)


class ClipTextModel(nn.Module):
    """Parameter container only (the weights are what matters here; the maths lives in the Java port)."""
    def __init__(self, c):
        super().__init__()
        self.text_model = ClipTextTransformer(c)


# ---------------------------------------------------------------- init rules

def fan_in(w):
    return w.shape[1] * (int(np.prod(w.shape[2:])) if w.dim() > 2 else 1)


def init_model(model, seed, variant, hint_prefix=None):
    """Overwrites every parameter of model from a private generator, in named_modules() order."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)

    def uni(t, b):
        if variant["uniform"] == "rand2b":          # rand * 2 * b - b
            v = torch.rand(t.shape, generator=g) * 2 * b - b
        elif variant["uniform"] == "rand11":        # (rand * 2 - 1) * b
            v = (torch.rand(t.shape, generator=g) * 2 - 1) * b
        else:                                       # uniform_(-b, b)
            v = torch.empty(t.shape).uniform_(-b, b, generator=g)
        t.copy_(v)

    def nrm(t, mean, std):
        if variant["normal"] == "randn":
            v = torch.randn(t.shape, generator=g)
            v = v if std == 1.0 else v * std
            v = v if mean == 0.0 else v + mean
        else:
            v = torch.empty(t.shape).normal_(mean, std, generator=g)
        t.copy_(v)

    convlin = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
    norms = (nn.GroupNorm, nn.LayerNorm)
    seen = set()
    with torch.no_grad():
        for name, m in model.named_modules():
            own = list(m.named_parameters(recurse=False))
            if not own:
                continue
            if isinstance(m, convlin):
                fi = fan_in(m.weight)
                in_hint = hint_prefix is not None and (name == hint_prefix or name.startswith(hint_prefix + "."))
                wb = 3.0 / math.sqrt(fi) if in_hint else math.sqrt(3.0 / fi)
                bb = 1.0 / math.sqrt(fi)
                if variant["order"] == "interleaved":
                    uni(m.weight, wb)
                    if m.bias is not None:
                        uni(m.bias, bb)
                else:
                    raise ValueError(variant["order"])
            elif isinstance(m, norms):
                if m.weight is not None:
                    nrm(m.weight, 1.0, 0.1)
                if m.bias is not None:
                    nrm(m.bias, 0.0, 0.1)
            elif isinstance(m, nn.Embedding):
                nrm(m.weight, 0.0, 1.0)
            else:
                raise RuntimeError("no init rule for %s (%s)" % (name, type(m).__name__))
            for pn, p in own:
                seen.add(id(p))
    missed = [n for n, p in model.named_parameters() if id(p) not in seen]
    if missed:
        raise RuntimeError("parameters without an init rule: %s" % missed[:5])


# ---------------------------------------------------------------- ldm schedule buffers

def ldm_schedule(c):
    """The 12 LatentDiffusion schedule buffers (DDPM.register_schedule, linear schedule, v_posterior 0)."""
    s = c["schedule"]
    betas = (torch.linspace(s["linear_start"] ** 0.5, s["linear_end"] ** 0.5, s["timesteps"],
                            dtype=torch.float64) ** 2).numpy()
    alphas = 1.0 - betas
    ac = np.cumprod(alphas, axis=0)
    ac_prev = np.append(1.0, ac[:-1])
    post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
    bufs = dict(
        betas=betas, alphas_cumprod=ac, alphas_cumprod_prev=ac_prev,
        sqrt_alphas_cumprod=np.sqrt(ac), sqrt_one_minus_alphas_cumprod=np.sqrt(1.0 - ac),
        log_one_minus_alphas_cumprod=np.log(1.0 - ac), sqrt_recip_alphas_cumprod=np.sqrt(1.0 / ac),
        sqrt_recipm1_alphas_cumprod=np.sqrt(1.0 / ac - 1),
        posterior_variance=post_var, posterior_log_variance_clipped=np.log(np.maximum(post_var, 1e-20)),
        posterior_mean_coef1=betas * np.sqrt(ac_prev) / (1.0 - ac),
        posterior_mean_coef2=(1.0 - ac_prev) * np.sqrt(alphas) / (1.0 - ac))
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in bufs.items()}


# ---------------------------------------------------------------- build everything

def build(code_dir, cfgs, variant, parts=("unet", "controlnet", "vae", "clip_text")):
    """Returns {file name: (ordered dict of tensors, metadata)} and the per-part key lists."""
    Unet, CNet, Vae = import_original(code_dir)
    made, timing = {}, {}
    for part in parts:
        c = cfgs[part]
        t0 = time.perf_counter()
        torch.manual_seed(c["init_seed"])
        if part == "unet":
            p = dict(c["params"]); p.pop("image_size", None)
            m = Unet(image_size=c["params"]["image_size"], **{k: v for k, v in p.items()})
            hint = None
        elif part == "controlnet":
            p = dict(c["params"])
            m = CNet(**p)
            hint = "input_hint_block"
        elif part == "vae":
            p = c["params"]
            m = Vae(ddconfig=p["ddconfig"], lossconfig=p["lossconfig"], embed_dim=p["embed_dim"])
            hint = None
        else:
            m = ClipTextModel(c["params"])
            hint = None
        init_model(m, c["init_seed"], variant, hint)
        sd = m.state_dict()
        made[part] = {c["key_prefix"] + k: v.clone() for k, v in sd.items()}
        timing[part] = time.perf_counter() - t0
    return made, timing


def files_from(made, cfgs):
    sd15, cn = {}, {}
    for part in ("unet", "vae", "clip_text"):
        if part in made:
            sd15.update(made[part])
    if sd15:
        sd15.update(ldm_schedule(cfgs["ldm"]))
    if "controlnet" in made:
        cn.update(made["controlnet"])
    clip = dict(cfgs["clip_text"]["params"])
    gen = "bench/gpu/tiny_weights.py (regenerated from the documented init rules)"
    meta15 = {"generator": gen, "torch": torch.__version__,
              "content": "tiny SD1.5: unet+vae+clip text+ldm schedule buffers",
              "configs": json.dumps({"unet": cfgs["unet"]["params"], "vae": cfgs["vae"]["params"], "clip": clip})}
    metacn = {"generator": gen, "torch": torch.__version__, "content": "tiny ControlNet",
              "configs": json.dumps({"controlnet": cfgs["controlnet"]["params"]})}
    return {"tiny-sd15.safetensors": (sd15, meta15), "tiny-controlnet.safetensors": (cn, metacn)}


def part_of(name):
    for pre, part in (("model.diffusion_model.", "unet"), ("control_model.", "controlnet"),
                      ("first_stage_model.", "vae"), ("cond_stage_model.", "clip_text")):
        if name.startswith(pre):
            return part
    return "ldm buffers"


def compare(files, fixdir, show=3):
    all_ok = True
    for fname, (mine, _) in files.items():
        if not mine:
            continue
        ref, meta = read_safetensors(os.path.join(fixdir, fname))
        stats = {}
        for name, r in ref.items():
            part = part_of(name)
            if part not in {part_of(k) for k in mine}:
                continue
            st = stats.setdefault(part, {"n": 0, "exact": 0, "bad": []})
            st["n"] += 1
            t = mine.get(name)
            if t is None:
                st["bad"].append((name, "missing"))
            elif list(t.shape) != list(r.shape) or t.dtype != r.dtype:
                st["bad"].append((name, "shape/dtype %s %s vs %s %s" % (list(t.shape), t.dtype, list(r.shape), r.dtype)))
            elif torch.equal(t, r):
                st["exact"] += 1
            else:
                d = (t.double() - r.double()).abs()
                st["bad"].append((name, "max|diff| %.3g, %d of %d differ" % (d.max().item(), int((d > 0).sum()), d.numel())))
        extra = [k for k in mine if k not in ref]
        order_same = [k for k in ref if k in mine] == [k for k in mine if k in ref]
        print("%s: %d tensors in the fixture, %d made, %d extra, same order: %s" % (
            fname, len(ref), len(mine), len(extra), order_same))
        for part, st in stats.items():
            ok = st["exact"] == st["n"]
            all_ok &= ok
            print("  %-12s %4d / %4d bit-exact%s" % (part, st["exact"], st["n"], "" if ok else "  <-- MISMATCH"))
            for name, why in st["bad"][:show]:
                print("      %s: %s" % (name, why))
        if extra:
            all_ok = False
            print("  extra keys:", extra[:5])
    return all_ok


def tensor_digest(t):
    """sha256 over dtype, shape and the raw little-endian bytes of one tensor."""
    import hashlib
    t = t.detach().cpu().contiguous()
    h = hashlib.sha256(("%s %s\n" % (str(t.dtype).replace("torch.", ""), list(t.shape))).encode())
    h.update(t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def make_digests(fixdir, out):
    d = {}
    for fname in ("tiny-sd15.safetensors", "tiny-controlnet.safetensors"):
        ref, _ = read_safetensors(os.path.join(fixdir, fname))
        d[fname] = {k: tensor_digest(v) for k, v in ref.items()}
    with open(out, "w") as f:
        json.dump(d, f, indent=0, sort_keys=False)
        f.write("\n")
    print("wrote %s (%d tensors)" % (out, sum(len(v) for v in d.values())))


def check_digests(files, path, show=3):
    """The --compare check against per-tensor sha256 digests of the fixture files (for machines without them)."""
    with open(path) as f:
        ref = json.load(f)
    all_ok = True
    for fname, (mine, _) in files.items():
        if not mine:
            continue
        stats = {}
        for name, dig in ref[fname].items():
            part = part_of(name)
            if part not in {part_of(k) for k in mine}:
                continue
            st = stats.setdefault(part, {"n": 0, "exact": 0, "bad": []})
            st["n"] += 1
            if name not in mine:
                st["bad"].append(name + ": missing")
            elif tensor_digest(mine[name]) == dig:
                st["exact"] += 1
            else:
                st["bad"].append(name + ": digest differs")
        extra = [k for k in mine if k not in ref[fname]]
        print("%s: %d digests, %d made, %d extra" % (fname, len(ref[fname]), len(mine), len(extra)))
        all_ok &= not extra
        for part, st in stats.items():
            ok = st["exact"] == st["n"]
            all_ok &= ok
            print("  %-12s %4d / %4d bit-exact (sha256)%s" % (part, st["exact"], st["n"], "" if ok else "  <-- MISMATCH"))
            for b in st["bad"][:show]:
                print("      " + b)
    return all_ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--code", default=os.path.join(HERE, "anchor-code"), help="dir with ldm/, cldm/, einops/")
    cands = [os.path.join(HERE, *up, "shared", "fixtures", "tiny-configs.json") for up in ((), ("..", ".."), ("..", "..", ".."))]
    ap.add_argument("--configs", default=next((c for c in cands if os.path.exists(c)), cands[-1]),
                    help="tiny-configs.json (default: shared/fixtures/ beside the repository root or inside it)")
    ap.add_argument("--compare", metavar="DIR", help="fixture dir to compare with, tensor by tensor")
    ap.add_argument("--check-digests", metavar="JSON", nargs="?", const=os.path.join(HERE, "tiny-weights.sha256.json"),
                    help="compare with per-tensor sha256 digests of the fixtures (default: tiny-weights.sha256.json "
                         "next to this script), for machines that do not have the fixture files")
    ap.add_argument("--make-digests", nargs=2, metavar=("FIXDIR", "JSON"), help="write the digests of FIXDIR's files")
    ap.add_argument("--write", metavar="DIR", help="write tiny-sd15.safetensors and tiny-controlnet.safetensors here")
    ap.add_argument("--parts", default="unet,controlnet,vae,clip_text")
    ap.add_argument("--uniform", default="rand2b", choices=["rand2b", "rand11", "uniform_"])
    ap.add_argument("--normal", default="randn", choices=["randn", "normal_"])
    ap.add_argument("--order", default="interleaved", choices=["interleaved"])
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    if a.make_digests:
        make_digests(*a.make_digests)
        return 0
    if not (a.compare or a.write or a.check_digests):
        ap.error("give --compare DIR, --check-digests [JSON] and/or --write DIR")
    torch.set_num_threads(a.threads)
    with open(a.configs) as f:
        cfgs = json.load(f)
    variant = {"uniform": a.uniform, "normal": a.normal, "order": a.order}
    cap = torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "?"
    if cap == "DEFAULT":
        print("WARNING: ATen CPU capability is DEFAULT (no AVX2, or ATEN_CPU_CAPABILITY=default). randn then takes "
              "the scalar Box-Muller path, which differs in the last bits from the AVX2/AVX512 path the fixtures "
              "were made with: the norm weights/biases and embeddings will not be bit-exact.")
    t0 = time.perf_counter()
    made, timing = build(a.code, cfgs, variant, tuple(a.parts.split(",")))
    files = files_from(made, cfgs)
    print("torch %s (CPU capability %s), variant %s, built in %.1f s (%s)" % (torch.__version__, cap, variant, time.perf_counter() - t0,
          ", ".join("%s %.1f s" % kv for kv in timing.items())))
    rc = 0
    if a.compare:
        ok = compare(files, a.compare)
        print("ALL BIT-EXACT" if ok else "NOT ALL BIT-EXACT")
        rc = 0 if ok else 1
    if a.check_digests:
        ok = check_digests(files, a.check_digests)
        print("ALL BIT-EXACT (sha256)" if ok else "NOT ALL BIT-EXACT (sha256)")
        rc = rc or (0 if ok else 1)
    if a.write:
        os.makedirs(a.write, exist_ok=True)
        for fname, (tensors, meta) in files.items():
            if tensors:
                write_safetensors(os.path.join(a.write, fname), tensors, meta)
                print("wrote", os.path.join(a.write, fname), len(tensors), "tensors")
    print("total %.1f s" % (time.perf_counter() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
