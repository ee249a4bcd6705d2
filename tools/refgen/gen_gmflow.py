#!/usr/bin/env python3
"""GMFlow reference sets (fixtures README section 8): the tiny GMFlow, two procedural frames, Rerender's call
(`flow/flow_utils.py: get_warped_and_mask`, with InputPadder, the bidirectional GMFlow pass, the
forward/backward consistency check and `flow_warp`), every intermediate the parity test reads, and the `check`
group (the same helpers on the frames' true flows).

    gen_gmflow.py --out DIR --check                      # rebuild the shipped set from its shipped inputs, compare
    gen_gmflow.py --out DIR [--size HxW] [--seed S] [--motion JSON] [--config JSON] [--attn-splits K]

--out DIR becomes a complete fixtures folder (every other shipped file linked); this script writes
DIR/gmflow/{tiny-gmflow.pth, tiny-gmflow-config.json, gmflow-reference.safetensors}.

--check: the tiny weights are rebuilt from the shipped config's seeds (and compared with the shipped .pth
bitwise); frames, image3 and the true flows are the shipped `in.*` tensors (the fixtures' frame renderer is not
published; ours below follows its description), and every other tensor is recomputed and compared with the
shipped one.

--config overrides the tiny GMFlow config: feature_channels, num_transformer_layers, ffn_dim_expansion (GMFlow's
own arguments), backbone_widths (CNNEncoder's hard-coded [64, 96, 128], rebuilt as the fixtures generator did) and
upsampler_hidden (the upsampler's hard-coded 256, rebuilt the same way).
num_scales, num_head, attention_type and upsample_factor stay as Rerender has them (1, 1, swin, 8): the call pads
by 8 and unpads the ×8 output, so another factor would not be Rerender's computation.
--attn-splits replaces Rerender's attn_splits_list=[2] (the call is otherwise unchanged).

The original modules (tools/refgen/orig/{gmflow,Rerender_A_Video}, see checkouts.sh) are imported unmodified.
Run-time switches, as the fixtures README lists them: while flow_utils is imported, Module.to('cuda') does
nothing and the one torch.load of the full-size checkpoint returns {} (its module-level FlowCalc()); Tensor.cuda
is the identity (get_warped_and_mask calls .cuda()).
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from refgen_common import (SHIPPED, alt_dir, cuda_is_identity, import_flow_utils, orig, read_safetensors,  # noqa: E402
                           replace, write_safetensors)

torch.set_num_threads(1)

FULL = dict(feature_channels=128, num_scales=1, upsample_factor=8, num_head=1, attention_type='swin',
            ffn_dim_expansion=4, num_transformer_layers=6)
FULL_WIDTHS = [64, 96, 128]
PADDING_FACTOR = 8  # get_warped_and_mask: InputPadder(image1.shape, padding_factor=8)
DEFAULT_MOTION = dict(rot_deg=3.0, shift=[4.5, -2.5], disc_shift=[-7.0, 4.0], disc_centre=[0.35, 0.55],
                      disc_radius=0.2)


# ---------------------------------------------------------------- the original modules

def import_original():
    """gmflow (its package and utils.utils) and Rerender's flow_utils, with the README's run-time switches
    (refgen_common.import_flow_utils, cuda_is_identity)."""
    sys.path.insert(0, orig("gmflow"))
    sys.path.insert(0, os.path.join(orig("Rerender_A_Video"), "flow"))
    flow_utils = import_flow_utils("flow_utils")  # builds a full-size FlowCalc() on import (switched off)
    cuda_is_identity()
    from gmflow.gmflow import GMFlow
    from utils.utils import InputPadder
    assert flow_utils.GMFlow is GMFlow and flow_utils.InputPadder is InputPadder, "flow_utils imported another gmflow"
    return flow_utils, GMFlow, InputPadder


# ---------------------------------------------------------------- tiny model

def build_tiny(GMFlow, cfg, widths, seed, upsampler_hidden=256):
    """GMFlow(**cfg) built after manual_seed(seed), the CNNEncoder's layers rebuilt with `widths` (original
    nn.Conv2d / _make_layer / ResidualBlock), then every parameter drawn from Generator(seed + 1).
    upsampler_hidden other than GMFlow's hard-coded 256 rebuilds the upsampler the same way (alternate sets only)."""
    torch.manual_seed(seed)
    m = GMFlow(**cfg)
    e = m.backbone
    e.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
    e.norm1 = nn.InstanceNorm2d(widths[0])
    e.in_planes = widths[0]
    e.layer1 = e._make_layer(widths[0], stride=1)
    e.layer2 = e._make_layer(widths[1], stride=2)
    e.layer3 = e._make_layer(widths[2], stride=2 if cfg['num_scales'] == 1 else 1)
    e.conv2 = nn.Conv2d(widths[2], cfg['feature_channels'], 1, 1, 0)
    if upsampler_hidden != 256:
        m.upsampler = nn.Sequential(nn.Conv2d(2 + cfg['feature_channels'], upsampler_hidden, 3, 1, 1),
                                    nn.ReLU(inplace=True),
                                    nn.Conv2d(upsampler_hidden, cfg['upsample_factor'] ** 2 * 9, 1, 1, 0))
    g = torch.Generator().manual_seed(seed + 1)

    def uniform(t, b):
        t.copy_((torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 - 1) * b)

    def normal(t, mean, std):
        t.copy_(torch.randn(t.shape, generator=g, dtype=torch.float64) * std + mean)

    with torch.no_grad():
        for name, mod in m.named_modules():
            if not list(mod.parameters(recurse=False)):
                continue
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                fan_in = mod.weight.shape[1] * int(np.prod(mod.weight.shape[2:]))
                uniform(mod.weight, math.sqrt(3.0 / fan_in))
                if mod.bias is not None:
                    uniform(mod.bias, 1.0 / math.sqrt(fan_in))
            elif isinstance(mod, nn.LayerNorm):
                normal(mod.weight, 1.0, 0.1)
                normal(mod.bias, 0.0, 0.1)
            else:
                raise RuntimeError("no init rule for %s (%s)" % (name, type(mod).__name__))
    return m.eval()


# ---------------------------------------------------------------- frames (our renderer, after the README's description)

def _texture(x, y):
    """Continuous RGB background: sinusoids at several orientations plus an 11-px checkerboard. [3,H,W] 0..255."""
    chans = []
    for k, (angles, freq, phase) in enumerate([((0.3, 1.4, 2.6), 0.21, 0.0), ((0.9, 2.1), 0.17, 1.0),
                                               ((0.1, 1.1, 2.0), 0.27, 2.0)]):
        v = 128.0 + 0 * x
        for a in angles:
            v = v + 28.0 * torch.sin(freq * (x * math.cos(a) + y * math.sin(a)) + phase + a)
        chans.append(v)
    checker = ((torch.floor(x / 11) + torch.floor(y / 11)) % 2) * 2 - 1
    return torch.stack([chans[0] + 22 * checker, chans[1] - 22 * checker, chans[2] + 14 * checker])


def _disc_texture(dx, dy):
    r = torch.sqrt(dx * dx + dy * dy)
    return torch.stack([140 + 70 * torch.sin(0.9 * r), 110 + 60 * torch.cos(0.45 * dx - 0.6 * dy),
                        90 + 80 * torch.sin(0.5 * dx) * torch.cos(0.5 * dy)])


def render(h, w, motion, seed):
    """frame1, frame2 (uint8 HWC), image3 [1,3,H,W] and the true flows [1,2,H,W], all from float64 geometry.
    Background: frame2(q) = frame1(A⁻¹q) with A = rotation about the frame centre, then shift; a textured disc
    moves by disc_shift and covers the background in both frames; Gaussian noise σ = 2; rounded to uint8."""
    f64 = torch.float64
    y, x = torch.meshgrid(torch.arange(h, dtype=f64), torch.arange(w, dtype=f64), indexing='ij')
    cx, cy = (w - 1) / 2, (h - 1) / 2
    th = math.radians(motion['rot_deg'])
    c, s = math.cos(th), math.sin(th)
    tx, ty = motion['shift']
    mx, my = motion['disc_shift']
    r = motion['disc_radius'] * min(h, w)
    d1x, d1y = motion['disc_centre'][0] * w, motion['disc_centre'][1] * h
    d2x, d2y = d1x + mx, d1y + my
    # forward: background p -> A p
    ax = c * (x - cx) - s * (y - cy) + cx + tx
    ay = s * (x - cx) + c * (y - cy) + cy + ty
    # backward: q -> A⁻¹ q
    ix = c * (x - cx - tx) + s * (y - cy - ty) + cx
    iy = -s * (x - cx - tx) + c * (y - cy - ty) + cy
    in1 = (x - d1x) ** 2 + (y - d1y) ** 2 <= r * r
    in2 = (x - d2x) ** 2 + (y - d2y) ** 2 <= r * r
    frame1 = torch.where(in1, _disc_texture(x - d1x, y - d1y), _texture(x, y))
    frame2 = torch.where(in2, _disc_texture(x - d2x, y - d2y), _texture(ix, iy))
    fwd = torch.stack([torch.where(in1, mx + 0 * x, ax - x), torch.where(in1, my + 0 * x, ay - y)])
    bwd = torch.stack([torch.where(in2, -mx + 0 * x, ix - x), torch.where(in2, -my + 0 * x, iy - y)])
    rng = np.random.RandomState(seed)
    frames = []
    for f in (frame1, frame2):
        v = f.permute(1, 2, 0).numpy() + rng.normal(0.0, 2.0, size=(h, w, 3))
        frames.append(torch.from_numpy(np.clip(np.round(v), 0, 255).astype(np.uint8)))
    return frames[0], frames[1], image3_of(frames[0]), fwd[None].float(), bwd[None].float()


def image3_of(frame1):
    """0.9·(frame1/127.5 − 1) + 0.1·sin(0.3x + 0.2y)·(1, −1, 0.5), in float64 then F32 (reproduces the shipped one)."""
    f = frame1.permute(2, 0, 1).double()
    h, w = f.shape[1:]
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing='ij')
    wave = torch.sin(0.3 * x + 0.2 * y)[None] * torch.tensor([1.0, -1.0, 0.5], dtype=torch.float64)[:, None, None]
    return (0.9 * (f / 127.5 - 1) + 0.1 * wave)[None].float()


# ---------------------------------------------------------------- the run

def run(fu, InputPadder, model, frame1, frame2, image3, check_fwd, check_bwd, splits):
    """Rerender's call with hooks on the original modules; returns the reference tensors in the shipped order."""
    caps = {}
    hooks = []
    t = model.transformer
    hooks.append(model.backbone.register_forward_pre_hook(lambda mod, a: caps.__setitem__('padded_input', a[0].clone())))
    hooks.append(model.backbone.register_forward_hook(lambda mod, a, o: caps.__setitem__('backbone', o[0].clone())))
    hooks.append(t.register_forward_pre_hook(lambda mod, a: caps.update({'transformer_in.0': a[0].clone(),
                                                                        'transformer_in.1': a[1].clone()})))
    hooks.append(t.register_forward_hook(lambda mod, a, o: caps.update({'transformer_out.0': o[0].clone(),
                                                                       'transformer_out.1': o[1].clone()})))
    for i, layer in enumerate(t.layers):
        hooks.append(layer.self_attn.register_forward_hook(
            lambda mod, a, o, i=i: caps.__setitem__('transformer.layer%d.self_attn' % i, o.clone())))
        hooks.append(layer.register_forward_hook(lambda mod, a, o, i=i: caps.__setitem__('transformer.layer%d' % i, o.clone())))
    hooks.append(model.feature_flow_attn.register_forward_pre_hook(lambda mod, a: caps.__setitem__('flow_global', a[1].clone())))
    hooks.append(model.feature_flow_attn.register_forward_hook(lambda mod, a, o: caps.__setitem__('flow_propagated', o.clone())))
    hooks.append(model.register_forward_hook(lambda mod, a, o: caps.__setitem__('flow_preds', o['flow_preds'][-1].clone())))
    real_forward = model.forward

    def forward(img0, img1, **kw):  # the helper's own call, with the attn_splits_list this set records
        kw['attn_splits_list'] = [splits]
        caps['call'] = dict(kw)
        return real_forward(img0, img1, **kw)

    model.forward = forward
    image1 = frame1.permute(2, 0, 1).float()
    image2 = frame2.permute(2, 0, 1).float()
    with torch.no_grad():
        warped, bwd_occ, bwd_flow = fu.get_warped_and_mask(model, image1, image2, image3, pixel_consistency=False)
    model.forward = real_forward
    for hk in hooks:
        hk.remove()
    call = caps['call']
    assert call == dict(attn_splits_list=[splits], corr_radius_list=[-1], prop_radius_list=[-1], pred_bidir_flow=True), call
    padder = InputPadder(image1.shape, padding_factor=PADDING_FACTOR)
    flow_pr = caps['flow_preds']
    fwd_flow = padder.unpad(flow_pr[0]).unsqueeze(0)
    bwd_mine = padder.unpad(flow_pr[1]).unsqueeze(0)
    with torch.no_grad():
        fwd_occ, bwd_occ_mine = fu.forward_backward_consistency_check(fwd_flow, bwd_mine)
    assert torch.equal(bwd_mine, bwd_flow) and torch.equal(bwd_occ_mine, bwd_occ), "recorded bwd differs from the helper's"

    def aux(f, b):
        # diff_fwd, diff_bwd and the threshold exactly as the original check computes them: its two
        # `diff > threshold` comparisons are recorded (Tensor.__gt__ wrapped for the call), so none of its
        # arithmetic is restated here
        seen, gt = [], torch.Tensor.__gt__

        def record(self, other):
            seen.append((self.clone(), other.clone()))
            return gt(self, other)

        torch.Tensor.__gt__ = record
        try:
            fu.forward_backward_consistency_check(f, b)
        finally:
            torch.Tensor.__gt__ = gt
        assert len(seen) == 2 and torch.equal(seen[0][1], seen[1][1]), "the check compared something else"
        return seen[0][0], seen[1][0], seen[0][1]

    with torch.no_grad():
        d_f, d_b, thr = aux(fwd_flow, bwd_flow)
        assert torch.equal((d_f > thr).float(), fwd_occ) and torch.equal((d_b > thr).float(), bwd_occ)
        c_focc, c_bocc = fu.forward_backward_consistency_check(check_fwd, check_bwd)
        cd_f, cd_b, cthr = aux(check_fwd, check_bwd)
        assert torch.equal((cd_f > cthr).float(), c_focc) and torch.equal((cd_b > cthr).float(), c_bocc)
        c_warped = fu.flow_warp(image3, check_bwd)
        c_nearest = fu.flow_warp(image3, check_bwd, mode='nearest')
    i32 = lambda v: torch.tensor(v, dtype=torch.int32)  # noqa: E731
    out = {
        'in.frame1': frame1, 'in.frame2': frame2, 'in.image3': image3,
        'in.attn_splits': i32([splits]), 'in.corr_radius': i32([-1]), 'in.prop_radius': i32([-1]),
        'in.pred_bidir_flow': i32([1]), 'in.pad_lrtb': i32(padder._pad),
        'out.padded_input': caps['padded_input'], 'out.backbone': caps['backbone'],
        'out.transformer_in.0': caps['transformer_in.0'], 'out.transformer_in.1': caps['transformer_in.1'],
    }
    for i in range(len(t.layers)):
        out['out.transformer.layer%d.self_attn' % i] = caps['transformer.layer%d.self_attn' % i]
        out['out.transformer.layer%d' % i] = caps['transformer.layer%d' % i]
    out.update({
        'out.transformer_out.0': caps['transformer_out.0'], 'out.transformer_out.1': caps['transformer_out.1'],
        'out.flow_global': caps['flow_global'], 'out.flow_propagated': caps['flow_propagated'],
        'out.flow_preds': flow_pr, 'out.fwd_flow': fwd_flow, 'out.bwd_flow': bwd_flow,
        'out.fwd_occ': fwd_occ, 'out.bwd_occ': bwd_occ, 'out.warped': warped,
        'aux.diff_fwd': d_f, 'aux.diff_bwd': d_b, 'aux.threshold': thr,
        'in.check.fwd_flow': check_fwd, 'in.check.bwd_flow': check_bwd,
        'out.check.fwd_occ': c_focc, 'out.check.bwd_occ': c_bocc,
        'out.check.warped': c_warped, 'out.check.warped_nearest': c_nearest,
        'aux.check.diff_fwd': cd_f, 'aux.check.diff_bwd': cd_b, 'aux.check.threshold': cthr,
    })
    return {k: v.detach().contiguous() for k, v in out.items()}


def margins(ref):
    """What makes a set easy or hard for a port: mask margins and mixedness."""
    def m(d, t):
        return (ref[d] - ref[t]).abs().min().item()
    return {
        'net occ (fwd/bwd) fraction': (ref['out.fwd_occ'].mean().item(), ref['out.bwd_occ'].mean().item()),
        'net min |diff-thr|': min(m('aux.diff_fwd', 'aux.threshold'), m('aux.diff_bwd', 'aux.threshold')),
        'check occ fraction': (ref['out.check.fwd_occ'].mean().item(), ref['out.check.bwd_occ'].mean().item()),
        'check min |diff-thr|': min(m('aux.check.diff_fwd', 'aux.check.threshold'),
                                     m('aux.check.diff_bwd', 'aux.check.threshold')),
        'max |flow|': ref['out.flow_preds'].abs().max().item(),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='fixtures folder to write (other shipped files are linked)')
    ap.add_argument('--check', action='store_true', help='reproduce the shipped set from its shipped inputs')
    ap.add_argument('--size', help='frame size HxW (default: the shipped 91x123)')
    ap.add_argument('--seed', type=int, help='weights seed (manual_seed; parameters from seed+1) and frame-noise seed')
    ap.add_argument('--motion', default='{}', help='JSON overrides of %s' % json.dumps(DEFAULT_MOTION))
    ap.add_argument('--config', default='{}', help='JSON overrides: feature_channels, num_transformer_layers, '
                                                   'ffn_dim_expansion, backbone_widths, upsampler_hidden')
    ap.add_argument('--attn-splits', type=int, default=2, help="attn_splits_list=[K] (Rerender: 2)")
    args = ap.parse_args()

    fu, GMFlow, InputPadder = import_original()
    shipped_cfg = json.load(open(os.path.join(SHIPPED, 'gmflow', 'tiny-gmflow-config.json')))
    shipped, shipped_meta = read_safetensors(os.path.join(SHIPPED, 'gmflow', 'gmflow-reference.safetensors'))
    cfg = dict(shipped_cfg['tiny'])
    widths = list(shipped_cfg['tiny_backbone_widths'])
    seed = shipped_cfg['seed_torch_manual_seed']
    over = json.loads(args.config)
    widths = list(over.pop('backbone_widths', widths))
    upsampler_hidden = int(over.pop('upsampler_hidden', 256))
    for k in over:
        if k not in ('feature_channels', 'num_transformer_layers', 'ffn_dim_expansion'):
            sys.exit('--config: %s cannot be varied here (see --help)' % k)
    cfg.update(over)
    if args.check and (args.size or args.seed is not None or json.loads(args.config) or json.loads(args.motion)
                       or args.attn_splits != 2):
        sys.exit('--check uses the shipped settings only')
    if args.seed is not None:
        seed = args.seed
    if cfg['feature_channels'] % 4:
        sys.exit('feature_channels must be a multiple of 4 (PositionEmbeddingSine interleaves sin/cos of C/2 features)')
    model = build_tiny(GMFlow, cfg, widths, seed, upsampler_hidden)
    sd = model.state_dict()
    if args.check:
        ship_sd = torch.load(os.path.join(SHIPPED, 'gmflow', 'tiny-gmflow.pth'))['model']
        assert list(sd) == list(ship_sd), 'key order differs from the shipped .pth'
        same = all(torch.equal(sd[k], ship_sd[k]) for k in sd)
        print('weights rebuilt from seed %d: %s the shipped tiny-gmflow.pth (%d tensors)'
              % (seed, 'bitwise equal to' if same else 'DIFFERENT from', len(sd)))
        frame1, frame2, image3 = shipped['in.frame1'], shipped['in.frame2'], shipped['in.image3']
        cf, cb = shipped['in.check.fwd_flow'], shipped['in.check.bwd_flow']
        print('image3 recomputed from frame1: %s' % ('bitwise equal' if torch.equal(image3_of(frame1), image3) else 'DIFFERENT'))
        noise_seed = shipped_cfg['seed_frame_noise']
    else:
        h, w = (int(v) for v in args.size.lower().split('x')) if args.size else shipped_cfg['frame_hw']
        motion = dict(DEFAULT_MOTION, **json.loads(args.motion))
        noise_seed = seed
        frame1, frame2, image3, cf, cb = render(h, w, motion, noise_seed)
    h, w = frame1.shape[:2]
    hp, wp = (-(-n // PADDING_FACTOR) * PADDING_FACTOR for n in (h, w))
    if (hp // 8) % args.attn_splits or (wp // 8) % args.attn_splits:
        sys.exit('%dx%d pads to %dx%d: its 1/8 features (%dx%d) are not divisible by attn_splits %d, which the '
                 'original asserts' % (h, w, hp, wp, hp // 8, wp // 8, args.attn_splits))
    ref = run(fu, InputPadder, model, frame1, frame2, image3, cf, cb, args.attn_splits)

    cfg_json = json.dumps({'backbone_widths': widths, 'call': {'attn_splits_list': [args.attn_splits],
                           'corr_radius_list': [-1], 'pred_bidir_flow': True, 'prop_radius_list': [-1]},
                           'tiny': cfg}, sort_keys=True)
    meta = {'generator': 'gen_gmflow.py', 'set': 'public' if args.check else 'alternate', 'torch': torch.__version__,
            'numpy': np.__version__, 'threads': str(torch.get_num_threads()), 'config': cfg_json}
    if args.check:
        print('metadata config: %s' % ('equal' if json.loads(cfg_json) == json.loads(shipped_meta['config']) else 'DIFFERENT'))
        assert list(ref) == list(shipped), 'tensor names/order differ: %s' % (set(ref) ^ set(shipped))
        print('%-34s %-16s %10s %10s %10s' % ('tensor', 'shape', 'max|ref|', 'max|d|', 'max rel'))
        for k, v in ref.items():
            s = shipped[k]
            assert v.shape == s.shape and v.dtype == s.dtype, (k, v.shape, s.shape, v.dtype, s.dtype)
            d = (v.double() - s.double()).abs()
            if v.dtype == torch.uint8 or k.startswith('in.'):
                note = 'bitwise' if torch.equal(v, s) else 'DIFFERS'
                print('%-34s %-16s %s' % (k, 'x'.join(map(str, v.shape)), note))
                continue
            rel = (d / s.double().abs().clamp_min(1e-3)).max().item()
            extra = ''
            if k.endswith('_occ'):
                extra = '  (%d pixels differ)' % int((d > 0).sum())
            print('%-34s %-16s %10.3g %10.3g %10.3g%s' % (k, 'x'.join(map(str, v.shape)), s.abs().max().item(),
                                                          d.max().item(), rel, extra))
    for k, v in margins(ref).items():
        print('%-28s %s' % (k, v))

    dest = os.path.join(alt_dir(args.out), 'gmflow')
    torch.save({'model': sd}, replace(os.path.join(dest, 'tiny-gmflow.pth')))
    conf = dict(shipped_cfg)
    conf.update({'frame_hw': [h, w], 'pad_left_right_top_bottom': [int(v) for v in ref['in.pad_lrtb']],
                 'seed_frame_noise': noise_seed, 'seed_param_generator': seed + 1, 'seed_torch_manual_seed': seed,
                 'tiny': cfg, 'tiny_backbone_widths': widths,
                 'tiny_parameters': sum(p.numel() for p in model.parameters()),
                 'call': json.loads(cfg_json)['call']})
    if not args.check:
        conf['motion'] = motion
    if upsampler_hidden != 256:
        conf['tiny_upsampler_hidden'] = upsampler_hidden
    with open(replace(os.path.join(dest, 'tiny-gmflow-config.json')), 'w') as f:
        json.dump(conf, f, indent=1, sort_keys=True)
    write_safetensors(replace(os.path.join(dest, 'gmflow-reference.safetensors')), ref, meta)
    print('wrote %s (%dx%d, pad %s, features %dx%d, config %s, widths %s, attn_splits %d)'
          % (dest, h, w, ref['in.pad_lrtb'].tolist(), hp // 8, wp // 8, cfg, widths, args.attn_splits))


if __name__ == '__main__':
    main()
