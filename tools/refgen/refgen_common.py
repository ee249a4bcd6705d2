"""Shared pieces of the reference-set generators (gen_*.py): where the original sources and the shipped fixtures
are, the safetensors reader/writer, an alternate fixtures folder that reuses every shipped file a set does not
replace, the stand-in modules and run-time switches the fixtures README lists (sections 4, 8, 9), the CLIP text model
and tokenizer framing (sections 2, 4), and torchvision's Gaussian blur (section 9). The generators import the ORIGINAL
modules (extracted by checkouts.sh into orig/, never committed) and only drive them; no original source is copied
here."""
import importlib
import importlib.util
import os
import random
import re
import sys
import types
import unicodedata

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ORIG = os.path.join(HERE, "orig")
SHIPPED = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures"))

sys.path.insert(0, os.path.join(REPO, "bench", "gpu"))
from tiny_weights import read_safetensors, write_safetensors  # noqa: E402,F401  (one implementation for both tools)
from original_code import stand_ins, stub  # noqa: E402,F401  (bench/gpu: the stand-ins anchor.py uses too)


def orig(name):
    """Path of an extracted original project (ControlNet, gmflow, Rerender_A_Video, CLIP, einops)."""
    path = os.path.join(ORIG, name)
    if not os.path.isdir(path):
        sys.exit(f"{path} is missing: run tools/refgen/checkouts.sh first")
    return path


def alt_dir(dest, shipped=SHIPPED):
    """Makes dest a fixtures folder that links every shipped file (same sub-folders), so a generator only writes
    the files of its own set; writing replaces a link by a real file. Returns dest."""
    for root, _dirs, files in os.walk(shipped):
        rel = os.path.relpath(root, shipped)
        os.makedirs(os.path.join(dest, rel), exist_ok=True)
        for f in files:
            link = os.path.join(dest, rel, f)
            if not os.path.lexists(link):
                os.symlink(os.path.join(root, f), link)
    return dest


def replace(path):
    """Removes a link left by alt_dir so the file can be written without touching the shipped original."""
    if os.path.islink(path):
        os.unlink(path)
    return path


# ---------------------------------------------------------------- torchvision's GaussianBlur, if it imports
# Looked up before any generator installs its stand-in torchvision (which would hide the real package).

def _torchvision_gaussian_blur():
    try:
        from torchvision.transforms import GaussianBlur
    except (ImportError, RuntimeError):  # absent, a stand-in, or built for another torch
        return None
    return GaussianBlur


TORCHVISION_GAUSSIAN_BLUR = _torchvision_gaussian_blur()


# ---------------------------------------------------------------- stand-ins and switches (fixtures README 4, 8, 9)

def seed_everything(s):
    """The CPU part of pytorch_lightning.seed_everything (the stand-in's, fixtures README section 9)."""
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


def install_ldm_stand_ins():
    """Stand-in modules for the real ldm.models.diffusion.ddpm path (fixtures README section 9): bench/gpu's
    original_code.stand_ins (pytorch_lightning.LightningModule = nn.Module, torchvision.utils, tqdm, omegaconf, PIL when
    absent) plus what ddpm.py imports besides: pytorch_lightning.seed_everything and
    pytorch_lightning.utilities.distributed.rank_zero_only (the identity), omegaconf.ListConfig (the class that
    omegaconf.listconfig has)."""
    stand_ins()
    pl = sys.modules["pytorch_lightning"]
    pl.seed_everything = seed_everything
    pl.utilities = stub("pytorch_lightning.utilities")
    pl.utilities.distributed = stub("pytorch_lightning.utilities.distributed", rank_zero_only=lambda f: f)
    sys.modules["omegaconf"].ListConfig = sys.modules["omegaconf.listconfig"].ListConfig


class _AsciiRegex:
    """Stand-in for the `regex` package, enough for CLIP's token pattern on ASCII text (fixtures README section 9:
    \\p{L} -> a-zA-Z, \\p{N} -> 0-9). Used only when `regex` is not installed; refuses other text."""
    IGNORECASE = re.IGNORECASE

    @staticmethod
    def compile(p, flags=0):
        return re.compile(p.replace(r"\p{L}", "a-zA-Z").replace(r"\p{N}", "0-9"), flags)

    @staticmethod
    def findall(p, s):
        if not s.isascii():
            raise ValueError("the regex stand-in only tokenizes ASCII text: pip install regex for %r" % s)
        return p.findall(s) if hasattr(p, "findall") else re.findall(p, s)

    @staticmethod
    def sub(p, r, s):
        return re.sub(p, r, s)


def install_tokenizer_stand_ins():
    """CLIP's simple_tokenizer imports ftfy and regex. ftfy is always the fixtures' stand-in (README section 4: its
    fix_text became NFC normalisation, which is what made the shipped ids); regex is the real package when installed,
    else the ASCII stand-in."""
    stub("ftfy", fix_text=lambda text: unicodedata.normalize("NFC", text))
    if importlib.util.find_spec("regex") is None:
        stub("regex", **{k: getattr(_AsciiRegex, k) for k in ("IGNORECASE", "compile", "findall", "sub")})


def _identity(self, *args, **kwargs):
    return self


def cuda_is_identity():
    """Tensor.cuda becomes the identity (fixtures README sections 8, 9: the originals call .cuda() on tensors);
    returns the function it replaced, for a caller that restores it."""
    previous = torch.Tensor.cuda
    torch.Tensor.cuda = _identity
    return previous


def import_flow_utils(module):
    """Imports Rerender's flow/flow_utils.py as `module` ("flow_utils" with orig/Rerender_A_Video/flow on sys.path,
    "flow.flow_utils" with orig/Rerender_A_Video; gmflow's checkout on sys.path either way). The import builds a
    full-size FlowCalc(): while it runs, Module.to('cuda') does nothing and torch.load of gmflow_sintel-0c07dcb3.pth
    returns {} (fixtures README section 8); both are restored afterwards."""
    real_to, real_load = nn.Module.to, torch.load

    def to(self, *args, **kwargs):
        if args and (args[0] == "cuda" or (isinstance(args[0], torch.device) and args[0].type == "cuda")):
            return self
        return real_to(self, *args, **kwargs)

    def load(path, *args, **kwargs):
        if str(path).endswith("gmflow_sintel-0c07dcb3.pth"):
            return {}
        return real_load(path, *args, **kwargs)

    nn.Module.to, torch.load = to, load
    try:
        return importlib.import_module(module)
    finally:
        nn.Module.to, torch.load = real_to, real_load


# ---------------------------------------------------------------- CLIP: modules, SD framing, text model (README 2, 4)

BOS, EOS, MAX_LEN = 49406, 49407, 77


def clip_modules():
    """openai/CLIP's clip/model.py and clip/simple_tokenizer.py, loaded by file (clip/__init__.py would import
    torchvision) after the tokenizer stand-ins; loaded once. Returns namespace(model=..., simple_tokenizer=...)."""
    mods = sys.modules.get("openai_clip_model"), sys.modules.get("openai_clip_simple_tokenizer")
    if None in mods:
        install_tokenizer_stand_ins()
        clip_dir = os.path.join(orig("CLIP"), "clip")
        loaded = []
        for name in ("model", "simple_tokenizer"):
            spec = importlib.util.spec_from_file_location("openai_clip_" + name, os.path.join(clip_dir, name + ".py"))
            m = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(m)
            sys.modules[spec.name] = m
            loaded.append(m)
        mods = tuple(loaded)
    return types.SimpleNamespace(model=mods[0], simple_tokenizer=mods[1])


def sd_frame(bpe):
    """SD's FrozenCLIPEmbedder framing of CLIP BPE ids: BOS + 75 ids + EOS, padded with EOS to 77."""
    ids = [BOS] + bpe[:MAX_LEN - 2] + [EOS]
    return ids + [EOS] * (MAX_LEN - len(ids))


def clip_hidden_states(clip_model, weights, cfg, ids):
    """embeddings, layer-0 output and last_hidden_state of the tiny text model for SD-framed ids [B,77], computed by
    openai/CLIP's text Transformer (clip_model = clip_modules().model; ResidualAttentionBlock = pre-LN MHA + QuickGELU
    MLP) and ln_final, with the causal mask of CLIP.build_attention_mask, on the HF-named weights (q/k/v concatenated
    into in_proj; the MLP widths from the config, since CLIP hard-codes 4x)."""
    p = "cond_stage_model.transformer.text_model."
    d, layers, heads = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    assert cfg["hidden_act"] == "quick_gelu", "CLIP's block uses QuickGELU"
    n = cfg["max_position_embeddings"]
    mask = clip_model.CLIP.build_attention_mask(types.SimpleNamespace(context_length=n))
    tr = clip_model.Transformer(d, layers, heads, attn_mask=mask)
    inner = cfg["intermediate_size"]
    for blk in tr.resblocks:  # CLIP's block hard-codes a 4x MLP; the tiny config's is 2x: same forward, other widths
        blk.mlp.c_fc = torch.nn.Linear(d, inner)
        blk.mlp.c_proj = torch.nn.Linear(inner, d)
    ln_final = clip_model.LayerNorm(d, eps=cfg["layer_norm_eps"])
    sd = {}
    for i in range(layers):
        q = p + "encoder.layers.%d." % i
        a = q + "self_attn."
        sd["resblocks.%d.attn.in_proj_weight" % i] = torch.cat([weights[a + s + "_proj.weight"] for s in "qkv"])
        sd["resblocks.%d.attn.in_proj_bias" % i] = torch.cat([weights[a + s + "_proj.bias"] for s in "qkv"])
        for mine, hf in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                         ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
            for wb in ("weight", "bias"):
                sd["resblocks.%d.%s.%s" % (i, mine, wb)] = weights[q + hf + "." + wb]
    tr.load_state_dict(sd, strict=True)
    for blk in tr.resblocks:  # CLIP's LayerNorm subclass keeps nn.LayerNorm's default eps, 1e-5 = the config's
        assert blk.ln_1.eps == cfg["layer_norm_eps"]
    ln_final.load_state_dict({"weight": weights[p + "final_layer_norm.weight"],
                              "bias": weights[p + "final_layer_norm.bias"]})
    tr.eval()
    with torch.no_grad():
        tok = torch.nn.functional.embedding(ids.long(), weights[p + "embeddings.token_embedding.weight"])
        x = tok + weights[p + "embeddings.position_embedding.weight"][:ids.shape[1]]
        emb = x
        x = x.permute(1, 0, 2)  # CLIP runs the transformer as [L, B, D]
        layer0 = tr.resblocks[0](x).permute(1, 0, 2)
        last = ln_final(tr(x).permute(1, 0, 2))
    return emb, layer0, last


# ---------------------------------------------------------------- Gaussian blur (fixtures README section 9)

def gaussian_blur(img, kernel_size, sigma):
    """torchvision's transforms.GaussianBlur((kernel_size, kernel_size), sigma=(sigma, sigma))(img) on a float tensor
    [..., C, H, W], e.g. rerender.py's blend-mask blur GaussianBlur((9, 9), (18, 18)). torchvision's own class when it
    imports; otherwise the equivalent of torchvision 0.13.1's code path, checked by _check_gaussian_blur on first use:
      - get_params draws sigma once from the global generator: torch.empty(1).uniform_(sigma, sigma) (the draw moves
        the generator on although the value is sigma);
      - kernel1d = pdf / pdf.sum() with pdf = exp(-(x / sigma)^2 / 2) at x = linspace(-(k-1)/2, (k-1)/2, k), in F32;
        kernel2d = outer product (torch.mm of a column and a row), one copy per channel;
      - reflect padding by k // 2 on all four sides (the edge pixel is not repeated), then a grouped conv2d;
      - an input without a batch axis is unsqueezed for the conv and squeezed after."""
    if TORCHVISION_GAUSSIAN_BLUR is not None:
        return TORCHVISION_GAUSSIAN_BLUR(kernel_size=(kernel_size, kernel_size), sigma=(sigma, sigma))(img)
    global _blur_checked
    if not _blur_checked:
        _check_gaussian_blur()
        _blur_checked = True
    return _gaussian_blur(img, kernel_size, sigma)


_blur_checked = False


def _gaussian_blur(img, k, sigma):
    s = torch.empty(1).uniform_(float(sigma), float(sigma)).item()
    half = (k - 1) * 0.5
    pdf = torch.exp(-0.5 * (torch.linspace(-half, half, steps=k) / s).pow(2))
    k1 = (pdf / pdf.sum()).to(img.dtype)
    kernel = torch.mm(k1[:, None], k1[None, :])
    squeeze = img.ndim < 4
    t = img.unsqueeze(0) if squeeze else img
    t = F.pad(t, [k // 2] * 4, mode="reflect")
    t = F.conv2d(t, kernel.expand(t.shape[-3], 1, k, k), groups=t.shape[-3])
    return t.squeeze(0) if squeeze else t


def _check_gaussian_blur():
    """The equivalent against known cases, leaving the global generator as it was: rerender.py's 9x9, sigma 18
    kernel (centre weight 0.11225556, an impulse's response), a float64 numpy blur of a 2x6x7 image with
    np.pad(mode='reflect'), and exactly one draw from the global generator per call."""
    state = torch.get_rng_state()
    try:
        impulse = torch.zeros(1, 17, 17)  # 17 x 17: no reflected copy of the impulse reaches the response
        impulse[0, 8, 8] = 1
        torch.manual_seed(0)
        response = _gaussian_blur(impulse, 9, 18)
        after_blur = torch.get_rng_state()
        torch.manual_seed(0)
        torch.empty(1).uniform_()
        assert torch.equal(after_blur, torch.get_rng_state()), "blur must draw once from the global generator"
        x = np.arange(-4.0, 5.0)
        k1 = np.exp(-0.5 * (x / 18.0) ** 2)
        k1 /= k1.sum()
        assert abs(k1[4] - 0.11225556) < 1e-8, k1[4]
        expected = np.zeros((17, 17))
        expected[4:13, 4:13] = np.outer(k1, k1)
        assert np.abs(response[0].double().numpy() - expected).max() < 1e-8, "blur of an impulse"

        img = torch.from_numpy(np.random.RandomState(1).rand(2, 6, 7).astype(np.float32))
        ref = np.pad(img.double().numpy(), ((0, 0), (4, 4), (4, 4)), mode="reflect")
        ref = sum(k1[i] * ref[:, i:i + 6, :] for i in range(9))
        ref = sum(k1[j] * ref[:, :, j:j + 7] for j in range(9))
        got = _gaussian_blur(img, 9, 18)
        assert got.shape == img.shape and np.abs(got.double().numpy() - ref).max() < 1e-6, "reflect-padded blur"
    finally:
        torch.set_rng_state(state)
