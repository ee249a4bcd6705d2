"""Imports the ORIGINAL ControlNet ldm/cldm modules (lllyasviel/ControlNet, carried as bench/gpu/anchor-code/) for
anchor.py and tiny_weights.py, with stand-ins for the packages they import but never use on the code paths we run
(pytorch_lightning, torchvision, tqdm, omegaconf, PIL when absent): the GPU machine has torch and nothing else."""
import importlib.machinery
import sys
import types

import torch.nn as nn


def stub(name, **attrs):
    """A stand-in module `name` in sys.modules with the given attributes; returns it."""
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    m.__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = m
    return m


def stand_ins():
    """Stand-ins for the packages ldm/cldm import but never use on these paths (also used by tools/refgen)."""
    stub("pytorch_lightning", LightningModule=nn.Module)
    stub("torchvision"); stub("torchvision.utils", make_grid=None)
    stub("tqdm", tqdm=lambda x, *a, **k: x)
    stub("omegaconf"); stub("omegaconf.listconfig", ListConfig=type("ListConfig", (list,), {}))
    try:
        import PIL  # noqa: F401
    except ImportError:
        for n in ("PIL", "PIL.Image", "PIL.ImageDraw", "PIL.ImageFont"):
            stub(n)
        for n in ("Image", "ImageDraw", "ImageFont"):
            setattr(sys.modules["PIL"], n, sys.modules["PIL." + n])


def import_original(code_dir):
    """Imports cldm/ldm from code_dir with stand-ins for packages they import but never use on these paths."""
    sys.path.insert(0, code_dir)
    stand_ins()
    stub("ldm.models.diffusion.ddpm", LatentDiffusion=nn.Module)
    from cldm.cldm import ControlNet, ControlledUnetModel
    from ldm.models.autoencoder import AutoencoderKL
    return ControlledUnetModel, ControlNet, AutoencoderKL
