"""``bench doctor``: what is installed, whether a GPU is visible, backbones, unavailable methods."""

from __future__ import annotations

import importlib


def _gpu_line() -> str:
    try:
        import torch
    except ImportError:
        return "GPU: torch is not installed"
    if torch.cuda.is_available():
        names = [torch.cuda.get_device_name(k) for k in range(torch.cuda.device_count())]
        return f"GPU: {len(names)} CUDA device(s): {', '.join(names)} (torch {torch.__version__})"
    build = "CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda} build"
    return f"GPU: none visible (torch {torch.__version__}, {build})"


def report() -> str:
    """The doctor's report as text."""
    from bench import registry
    from bench.provenance import package_versions

    lines = ["packages:"]
    for name, ver in package_versions().items():
        lines.append(f"  {name:14s} {ver}")
    lines.append(_gpu_line())
    lines.append("backbones (BrainEC-LLM):")
    try:
        mod = importlib.import_module("bench.methods.brainec_llm.backbone")
        status = mod.backbone_status()
        for name, ok, detail in status:
            lines.append(f"  {name:14s} {'found' if ok else 'MISSING':8s} {detail}")
    except (ImportError, AttributeError) as exc:
        lines.append(f"  (not available: {exc})")
    registry._load_plugins()
    from bench.plan import has_cuda

    cuda = has_cuda()
    lines.append("methods:")
    for m in registry.METHODS.values():
        missing = m.missing_packages()
        state = f"unavailable: missing package(s) {', '.join(missing)}" if missing else "ok"
        notes = []
        if not m.in_all:
            notes.append("not in 'all': select it by name")
        elif m.needs_gpu and not cuda:
            notes.append("GPU model: left out of 'all' here; runs on the CPU when named")
        lines.append(f"  {m.name:28s} {state}" + (f" ({'; '.join(notes)})" if notes else ""))
    return "\n".join(lines)
