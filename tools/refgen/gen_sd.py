"""SD 1.5 core reference set: tiny-reference.safetensors (+ clip-tokenizer-cases.json), fixtures README sections 2-6.

Builds the tiny UNet / ControlNet / VAE with the ORIGINAL lllyasviel/ControlNet ldm/cldm classes from the weights of
tiny-sd15.safetensors and tiny-controlnet.safetensors (configs from tiny-configs.json), runs the CLIP text
transformer as openai/CLIP's own text Transformer + ln_final (the README's cross-check of the re-implementation,
which it found bit-identical) on weights read under HF CLIPTextModel names (bench/gpu/tiny_weights.py's container),
tokenizes with openai/CLIP's simple_tokenizer (stand-in for ftfy: NFC normalisation, as the README says), draws the
inputs from the README's per-tensor seeds, and runs the DDIM run through the original DDIMSampler and
ControlLDM.apply_model.

  python tools/refgen/gen_sd.py --check                       # rebuild the shipped file, report per-tensor diffs
  python tools/refgen/gen_sd.py --out /tmp/alt --latent 8x16 --steps 7 --scale 4 --prompt "..." ...

Writes OUT/tiny-reference.safetensors and OUT/clip-tokenizer-cases.json; every other file of OUT links to the
shipped one (refgen_common.alt_dir). The options say what they vary; the defaults are the shipped settings.
"""
import argparse
import json
import os
import sys
import time
import types

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refgen_common import (BOS, EOS, MAX_LEN, SHIPPED, alt_dir, clip_hidden_states, clip_modules, orig,  # noqa: E402
                           read_safetensors, replace, sd_frame, write_safetensors)

SHIPPED_CASES = os.path.join(SHIPPED, "clip-tokenizer-cases.json")


# ---------------------------------------------------------------- the original modules

def load_original():
    """ldm/cldm (with bench/gpu/original_code.py's stand-ins), openai/CLIP's model.py and simple_tokenizer.py."""
    sys.path.insert(0, orig("einops"))
    from original_code import import_original  # bench/gpu (on sys.path through refgen_common)
    unet_cls, cnet_cls, vae_cls = import_original(orig("ControlNet"))
    from cldm.cldm import ControlLDM
    from ldm.models.diffusion.ddim import DDIMSampler
    from ldm.modules.diffusionmodules.util import make_beta_schedule, timestep_embedding

    clip = clip_modules()  # openai/CLIP's model.py and simple_tokenizer.py, ftfy's stand-in (README section 4)

    class CpuDDIMSampler(DDIMSampler):
        """The README's only change to the sampler: its buffers stay on the CPU (the original moves them to CUDA)."""
        def register_buffer(self, name, attr):
            setattr(self, name, attr)

    return types.SimpleNamespace(UNet=unet_cls, ControlNet=cnet_cls, Vae=vae_cls, ControlLDM=ControlLDM,
                                 DDIMSampler=CpuDDIMSampler, make_beta_schedule=make_beta_schedule,
                                 timestep_embedding=timestep_embedding, clip_model=clip.model,
                                 SimpleTokenizer=clip.simple_tokenizer.SimpleTokenizer)


# ---------------------------------------------------------------- tokenizer (README section 4)

def tokenizer_cases(tok, texts):
    cases = []
    for text in texts:
        bpe = tok.encode(text)
        cases.append({"text": text, "bpe_ids": bpe, "input_ids": sd_frame(bpe), "truncated": len(bpe) > MAX_LEN - 2,
                      "bpe_strings": [tok.decoder[i] for i in bpe]})
    return {"bos": BOS, "eos": EOS, "pad": EOS, "max_length": MAX_LEN, "cases": cases}


def cases_json(doc):
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- the ldm models

def build_models(O, cfgs, sd_w, cn_w):
    def load(m, weights, prefix):
        own = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
        m.load_state_dict(own, strict=True)
        return m.eval()

    up = dict(cfgs["unet"]["params"])
    unet = load(O.UNet(**up), sd_w, cfgs["unet"]["key_prefix"])
    cnet = load(O.ControlNet(**cfgs["controlnet"]["params"]), cn_w, cfgs["controlnet"]["key_prefix"])
    vp = cfgs["vae"]["params"]
    vae = load(O.Vae(ddconfig=vp["ddconfig"], lossconfig=vp["lossconfig"], embed_dim=vp["embed_dim"]), sd_w,
               cfgs["vae"]["key_prefix"])
    return unet, cnet, vae


class LdmStandIn:
    """The attributes of ControlLDM that apply_model and DDIMSampler read (README: 'a small object that has the same
    attributes'); apply_model itself is the original's, unbound."""
    def __init__(self, O, unet, cnet, sd_w, cfgs):
        self.model = types.SimpleNamespace(diffusion_model=unet)
        self.control_model = cnet
        self.control_scales = list(cfgs["ldm"]["control_scales"])
        self.only_mid_control = cfgs["ldm"]["only_mid_control"]
        self.parameterization = cfgs["ldm"]["parameterization"]
        self.num_timesteps = cfgs["ldm"]["schedule"]["timesteps"]
        self.device = torch.device("cpu")
        for k in ("betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_one_minus_alphas_cumprod"):
            setattr(self, k, sd_w[k])  # the ldm schedule buffers stored in tiny-sd15.safetensors
        self.original_apply = O.ControlLDM.apply_model
        self.calls = []

    def apply_model(self, x, t, cond, *a, **k):
        eps = self.original_apply(self, x, t, cond, *a, **k)
        self.calls.append(eps.clone())
        return eps


# ---------------------------------------------------------------- the set

def control_scales(spec, n):
    """'a,b,...' (n values) or 'guess:S' (cldm's guess mode: S * 0.825 ** (n-1-i), as ControlNet's gradio demos)."""
    if spec.startswith("guess:"):
        strength = float(spec[6:])
        return [strength * (0.825 ** float(n - 1 - i)) for i in range(n)]
    v = [float(x) for x in spec.split(",")]
    assert len(v) == n, "--control-scales needs %d values" % n
    return v


def hw(s):
    h, w = s.lower().split("x")
    return int(h), int(w)


def make_set(a, O):
    torch.set_num_threads(1)
    torch.backends.nnpack.set_flags(False)  # not used on this CPU anyway; silences a warning per conv
    cfg_path = os.path.join(a.weights, "tiny-configs.json")
    with open(cfg_path) as f:
        cfgs = json.load(f)
    sd_w, _ = read_safetensors(os.path.join(a.weights, "tiny-sd15.safetensors"))
    cn_w, _ = read_safetensors(os.path.join(a.weights, "tiny-controlnet.safetensors"))
    unet, cnet, vae = build_models(O, cfgs, sd_w, cn_w)
    up = cfgs["unet"]["params"]
    z_ch, lat_ch = cfgs["vae"]["params"]["embed_dim"], up["in_channels"]
    vae_in = cfgs["vae"]["params"]["ddconfig"]["in_channels"]
    hint_ch = cfgs["controlnet"]["params"]["hint_channels"]
    down = 8  # cldm's input_hint_block: three stride-2 convs, whatever the config (the image is 8x the latent)
    B = a.batch
    lh, lw = hw(a.latent)
    ih, iw = hw(a.vae_image)
    zh, zw = hw(a.vae_latent)
    seeds = [int(s) for s in a.seeds.split(",")]
    assert len(seeds) == 6, "--seeds needs six seeds: unet.x, unet.context, control.hint, vae.image, vae.z, ddim.x_T"
    ts = [int(t) for t in a.timesteps.split(",")]
    assert len(ts) == B, "--timesteps needs one timestep per batch row (--batch %d)" % B
    ctx_dim, ctx_len = up["context_dim"], MAX_LEN

    def gen(s):
        return torch.Generator().manual_seed(s)

    T = {}
    prompts = [a.prompt, a.n_prompt]
    tok = O.SimpleTokenizer(os.path.join(SHIPPED, "bpe_simple_vocab_16e6.txt.gz"))
    ids = torch.tensor([sd_frame(tok.encode(p)) for p in prompts], dtype=torch.int32)
    T["in.clip.input_ids"] = ids
    T["in.unet.x"] = torch.randn((B, lat_ch, lh, lw), generator=gen(seeds[0]))
    T["in.unet.timesteps"] = torch.tensor(ts, dtype=torch.int32)
    T["in.unet.context"] = torch.randn((B, ctx_len, ctx_dim), generator=gen(seeds[1]))
    T["in.control.hint"] = torch.rand((B, hint_ch, lh * down, lw * down), generator=gen(seeds[2]))
    T["in.vae.image"] = torch.rand((a.vae_batch, vae_in, ih, iw), generator=gen(seeds[3])) * 2 - 1
    T["in.vae.z"] = torch.randn((a.vae_batch, z_ch, zh, zw), generator=gen(seeds[4]))
    D = a.ddim_batch
    assert 1 <= D <= B, "--ddim-batch takes its hints from in.control.hint[0:N], so N <= --batch"
    T["in.ddim.x_T"] = torch.randn((D, lat_ch, lh, lw), generator=gen(seeds[5]))
    T["in.ddim.hint"] = T["in.control.hint"][0:D].clone()

    emb, layer0, last = clip_hidden_states(O.clip_model, sd_w, cfgs["clip_text"]["params"], ids)
    T["in.ddim.cond_context"] = last[0:1].repeat(D, 1, 1)  # one row per DDIM batch row ([0:1] when N = 1)
    T["in.ddim.uncond_context"] = last[1:2].repeat(D, 1, 1)
    T["in.ddim.guidance_scale"] = torch.tensor([a.scale], dtype=torch.float32)
    T["in.ddim.steps"] = torch.tensor([a.steps], dtype=torch.int32)
    scales = cfgs["ldm"]["control_scales"] if a.control_scales is None else control_scales(a.control_scales, len(cnet.zero_convs) + 1)
    T["in.control.scales"] = torch.tensor(scales, dtype=torch.float32)
    assert T["in.control.scales"].numel() == len(cnet.zero_convs) + 1, "one control scale per ControlNet residual"

    sch = cfgs["ldm"]["schedule"]
    betas = O.make_beta_schedule(sch["beta_schedule"], sch["timesteps"], linear_start=sch["linear_start"],
                                 linear_end=sch["linear_end"])  # float64 numpy, as DDPM.register_schedule gets it
    T["schedule.betas"] = torch.tensor(betas, dtype=torch.float32)
    T["schedule.alphas_cumprod"] = torch.tensor(np.cumprod(1.0 - betas, axis=0), dtype=torch.float32)

    ldm = LdmStandIn(O, unet, cnet, sd_w, cfgs)
    sampler = O.DDIMSampler(ldm)
    cond = {"c_concat": [T["in.ddim.hint"]], "c_crossattn": [T["in.ddim.cond_context"]]}
    uncond = {"c_concat": [T["in.ddim.hint"]], "c_crossattn": [T["in.ddim.uncond_context"]]}
    with torch.no_grad():
        samples, inter = sampler.sample(S=a.steps, batch_size=D, shape=(lat_ch, lh, lw), conditioning=cond,
                                        verbose=False, eta=0.0, x_T=T["in.ddim.x_T"], log_every_t=1,
                                        unconditional_guidance_scale=a.scale, unconditional_conditioning=uncond)
    n = len(sampler.ddim_timesteps)
    T["ddim.timesteps"] = torch.tensor(sampler.ddim_timesteps, dtype=torch.int32)
    T["ddim.alphas"] = torch.as_tensor(sampler.ddim_alphas).float()
    T["ddim.alphas_prev"] = torch.as_tensor(sampler.ddim_alphas_prev).float()
    T["ddim.sqrt_one_minus_alphas"] = torch.as_tensor(sampler.ddim_sqrt_one_minus_alphas).float()
    T["ddim.sigmas"] = torch.as_tensor(sampler.ddim_sigmas).float()

    T["out.clip.embeddings"], T["out.clip.layer0_out"], T["out.clip.last_hidden_state"] = emb, layer0, last

    x, t, ctx = T["in.unet.x"], T["in.unet.timesteps"].long(), T["in.unet.context"]
    probes = {}
    hooks = [b.register_forward_hook(lambda m, i, o, k=k: probes.__setitem__(k, o.clone()))
             for k, b in [("input_block.%02d" % j, blk) for j, blk in enumerate(unet.input_blocks)]
             + [("middle_block", unet.middle_block)]]
    with torch.no_grad():
        t_emb = O.timestep_embedding(t, up["model_channels"], repeat_only=False)
        T["out.unet.t_emb"] = t_emb
        T["out.unet.emb"] = unet.time_embed(t_emb)
        eps = unet(x=x, timesteps=t, context=ctx, control=None)
        for h in hooks:
            h.remove()
        for k in sorted(probes, key=lambda k: (k == "middle_block", k)):
            T["out.unet." + k] = probes[k]
        T["out.unet.eps"] = eps
        hint = T["in.control.hint"]
        T["out.control.guided_hint"] = cnet.input_hint_block(hint, cnet.time_embed(t_emb), ctx)
        outs = cnet(x=x, hint=hint, timesteps=t, context=ctx)
        for j, o in enumerate(outs):
            T["out.control.out.%02d" % j] = o
        # residuals above are before scaling (README); the controlled eps uses in.control.scales (the DDIM run keeps
        # the ldm config's scales, 1.0)
        ldm.control_scales = T["in.control.scales"].tolist()
        T["out.control.eps"] = O.ControlLDM.apply_model(ldm, x, t, {"c_concat": [hint], "c_crossattn": [ctx]})
        ldm.control_scales = list(cfgs["ldm"]["control_scales"])

        moments = vae.quant_conv(vae.encoder(T["in.vae.image"]))
        post = vae.encode(T["in.vae.image"])
        assert torch.equal(post.parameters, moments)
        T["out.vae.moments"] = moments
        T["out.vae.mean"] = post.mean
        T["out.vae.logvar"] = post.logvar
        T["out.vae.decoded"] = vae.decode(T["in.vae.z"])

        T["out.ddim.x_inter"] = torch.stack(inter["x_inter"])
        T["out.ddim.pred_x0"] = torch.stack(inter["pred_x0"][1:])  # [0] is x_T: the sampler seeds both lists with it
        T["out.ddim.model_out"] = torch.stack(ldm.calls)
        T["out.ddim.samples"] = samples
        T["out.ddim.decoded"] = vae.decode(1. / cfgs["ldm"]["scale_factor"] * samples)  # decode_first_stage
    assert len(ldm.calls) == n and T["out.ddim.x_inter"].shape[0] == n + 1
    assert torch.equal(T["out.ddim.x_inter"][-1], samples)

    order = ["in.clip.input_ids", "in.unet.x", "in.unet.timesteps", "in.unet.context", "in.control.hint",
             "in.vae.image", "in.vae.z", "in.ddim.x_T", "in.ddim.hint", "in.ddim.cond_context",
             "in.ddim.uncond_context", "in.ddim.guidance_scale", "in.ddim.steps", "in.control.scales",
             "schedule.betas", "schedule.alphas_cumprod", "ddim.timesteps", "ddim.alphas", "ddim.alphas_prev",
             "ddim.sqrt_one_minus_alphas", "ddim.sigmas"]
    order += [k for k in T if k.startswith("out.")]
    tensors = {k: T[k].detach().contiguous() for k in order}
    settings = {"latent": [lh, lw], "batch": B, "vae_image": [ih, iw], "vae_latent": [zh, zw], "vae_batch": a.vae_batch, "seeds": seeds,
                "timesteps": ts, "ddim_batch": D, "control_scales": scales, "prompt": a.prompt, "n_prompt": a.n_prompt, "steps": a.steps, "scale": a.scale,
                "ddim_timesteps": n, "weights": os.path.abspath(a.weights)}
    meta = {"generator": "tools/refgen/gen_sd.py (original ldm/cldm + openai/CLIP modules)",
            "torch": torch.__version__,
            "content": "reference inputs (in.*), schedule, and fp32 outputs (out.*)",
            "prompts": json.dumps(prompts, ensure_ascii=False), "cfg_scale": repr(float(a.scale)),
            "ddim_steps": str(a.steps), "ddim_eta": "0.0", "scale_factor": str(cfgs["ldm"]["scale_factor"]),
            "settings": json.dumps(settings, ensure_ascii=False)}
    return tensors, meta, tok


# ---------------------------------------------------------------- --check

def check(tensors, tok):
    ref, _ = read_safetensors(os.path.join(SHIPPED, "tiny-reference.safetensors"))
    worst_rel, exact, bad = 0.0, 0, []
    print("%-30s %-14s %10s %10s %10s  %s" % ("tensor", "shape", "max|ref|", "max|diff|", "max rel", ""))
    for k, r in ref.items():
        m = tensors.get(k)
        if m is None or list(m.shape) != list(r.shape) or m.dtype != r.dtype:
            bad.append(k)
            print("%-30s MISSING or shape/dtype differs: %s vs %s" % (k, None if m is None else (list(m.shape), m.dtype),
                                                                     (list(r.shape), r.dtype)))
            continue
        d = (m.double() - r.double()).abs()
        scale = r.double().abs().max().item()
        md = d.max().item()
        rel = md / scale if scale else md
        worst_rel = max(worst_rel, rel)
        exact += int(md == 0)
        print("%-30s %-14s %10.3g %10.3g %10.3g  %s" % (k, "x".join(map(str, r.shape)), scale, md, rel,
                                                        "bit-exact" if md == 0 else ""))
    extra = [k for k in tensors if k not in ref]
    same_order = [k for k in tensors if k in ref] == list(ref)
    print("%d tensors: %d bit-exact, worst max|diff|/max|ref| %.3g; missing/mismatched %s; extra %s; same order %s"
          % (len(ref), exact, worst_rel, bad or "none", extra or "none", same_order))
    with open(SHIPPED_CASES, encoding="utf-8") as f:
        shipped_doc = json.load(f)
    mine = tokenizer_cases(tok, [c["text"] for c in shipped_doc["cases"]])
    cases_ok = mine == shipped_doc
    print("clip-tokenizer-cases.json: %d cases, %s" % (len(mine["cases"]), "identical" if cases_ok else "DIFFERENT"))
    return not bad and cases_ok and worst_rel < 1e-5


def make_weights(configs_json, out):
    """tiny weights for a config variant, with the fixtures' init rules (bench/gpu/tiny_weights.py, unchanged)."""
    import tiny_weights
    with open(configs_json) as f:
        cfgs = json.load(f)
    torch.set_num_threads(1)
    made, _ = tiny_weights.build(orig("ControlNet"), cfgs, {"uniform": "rand2b", "normal": "randn", "order": "interleaved"})
    for part, sd in made.items():  # the parameter counts the configs file states
        cfgs[part]["parameters"] = int(sum(v.numel() for k, v in sd.items() if not k.endswith("position_ids")))
    convs = {k.split(".")[2] for k in made["controlnet"] if k.startswith("control_model.zero_convs.")}
    cfgs["ldm"]["control_scales"] = [1.0] * (len(convs) + 1)  # one per ControlNet residual (13 in SD 1.5)
    alt_dir(out)
    for fname, (tensors, meta) in tiny_weights.files_from(made, cfgs).items():
        write_safetensors(replace(os.path.join(out, fname)), tensors, meta)
    with open(replace(os.path.join(out, "tiny-configs.json")), "w") as f:
        json.dump(cfgs, f, indent=1)
        f.write("\n")
    print("wrote tiny weights for %s into %s (%s)" % (configs_json, out, ", ".join(
        "%s %d" % (p, cfgs[p]["parameters"]) for p in made)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--out", help="alternate fixtures folder to write (other files link to the shipped ones)")
    ap.add_argument("--check", action="store_true", help="rebuild the shipped file from the shipped settings and "
                    "report per-tensor max abs / rel differences (ignores the other settings)")
    ap.add_argument("--weights", default=SHIPPED, help="folder with tiny-sd15/tiny-controlnet.safetensors and "
                    "tiny-configs.json (default: the shipped fixtures)")
    ap.add_argument("--latent", default="8x8", help="HxW of the UNet/ControlNet/DDIM latents; the hint is 8x that "
                    "(ldm's UNet needs multiples of 8: three stride-2 downsamplings then skip concatenations)")
    ap.add_argument("--batch", type=int, default=2, help="batch of in.unet.x / context / hint")
    ap.add_argument("--ddim-batch", type=int, default=1, help="batch of the DDIM run (x_T rows; hints "
                    "in.control.hint[0:N], the prompts' contexts repeated)")
    ap.add_argument("--control-scales", help="in.control.scales for out.control.eps: 'a,b,...' or 'guess:S' "
                    "(default: the config's, all 1.0); the residuals stay unscaled, the DDIM run keeps 1.0")
    ap.add_argument("--timesteps", default="999,500", help="in.unet.timesteps, one per batch row")
    ap.add_argument("--vae-image", default="64x64", help="HxW of in.vae.image (any size: the encoder pads)")
    ap.add_argument("--vae-batch", type=int, default=1, help="batch of in.vae.image and in.vae.z")
    ap.add_argument("--vae-latent", default="8x8", help="HxW of in.vae.z (decoded to 8x that)")
    ap.add_argument("--seeds", default="11,12,13,14,15,16",
                    help="seeds of in.unet.x, in.unet.context, in.control.hint, in.vae.image, in.vae.z, in.ddim.x_T")
    ap.add_argument("--steps", type=int, default=20, help="S of DDIMSampler.sample (uniform: c = 1000 // S, "
                    "timesteps range(0, 1000, c) + 1, so S=7 runs 8 steps); stored as in.ddim.steps")
    ap.add_argument("--scale", type=float, default=7.5, help="CFG scale")
    ap.add_argument("--prompt", default="a cartoon tiger", help="cond prompt (row 0 of in.clip.input_ids)")
    ap.add_argument("--n-prompt", default="", help="uncond prompt (row 1)")
    ap.add_argument("--cases", help="JSON list of texts for OUT/clip-tokenizer-cases.json (default: the shipped "
                    "cases' texts plus the two prompts)")
    ap.add_argument("--make-weights", metavar="CONFIGS_JSON", help="first regenerate tiny-sd15/tiny-controlnet"
                    ".safetensors into OUT from this tiny-configs.json variant (bench/gpu/tiny_weights.py's build: "
                    "same init rules and seeds), copy it there as tiny-configs.json, and use them (sets --weights OUT)")
    a = ap.parse_args()
    if not a.out and not a.check:
        ap.error("give --out DIR and/or --check")
    O = load_original()
    t0 = time.perf_counter()
    c = 1000 // a.steps
    if (len(range(0, 1000, c)) - 1) * c + 1 >= 1000:
        ap.error("--steps %d: ldm's uniform schedule range(0, 1000, %d) + 1 then ends at timestep 1000, outside the "
                 "1000-step schedule (the original fails with 'index 1000 is out of bounds'; so do S = 3, 9, 27, 36, 37 below 100)"
                 % (a.steps, c))
    if a.make_weights:
        if not a.out:
            ap.error("--make-weights needs --out")
        make_weights(a.make_weights, a.out)
        a.weights = a.out
    if a.check:
        d = ap.parse_args([])
        d.weights = SHIPPED
        tensors, meta, tok = make_set(d, O)
        ok = check(tensors, tok)
        print("CHECK %s (%.1f s)" % ("PASSED" if ok else "FAILED", time.perf_counter() - t0))
        if not a.out:
            return 0 if ok else 1
    tensors, meta, tok = make_set(a, O)
    alt_dir(a.out)
    if os.path.abspath(a.weights) != os.path.abspath(SHIPPED):
        # the rerender/ set was computed on the shipped weights: its links would be stale here (its tests then skip)
        for root, _dirs, files in os.walk(os.path.join(a.out, "rerender")):
            for f in files:
                replace(os.path.join(root, f))
    write_safetensors(replace(os.path.join(a.out, "tiny-reference.safetensors")), tensors, meta)
    if a.cases:
        with open(a.cases, encoding="utf-8") as f:
            texts = json.load(f)
    else:
        with open(SHIPPED_CASES, encoding="utf-8") as f:
            texts = [c["text"] for c in json.load(f)["cases"]]
        texts += [p for p in (a.prompt, a.n_prompt) if p not in texts]
    with open(replace(os.path.join(a.out, "clip-tokenizer-cases.json")), "w", encoding="utf-8") as f:
        f.write(cases_json(tokenizer_cases(tok, texts)))
    print("wrote %s (%d tensors, %d DDIM timesteps for S=%d) and %d tokenizer cases (%.1f s)" % (
        a.out, len(tensors), tensors["ddim.timesteps"].numel(), a.steps, len(texts), time.perf_counter() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
