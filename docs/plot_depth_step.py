"""Draw docs/depth_step.png: quantization step size against distance, log and linear, for a few ranges.

    pip install matplotlib && python docs/plot_depth_step.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lerec.encoding.config import DepthEncoderConfig
from lerec.encoding.depth import quantization_step

CURVES = [
    ("log, 0.01-10 m, shift 3.5 (default)", DepthEncoderConfig()),
    ("log, 0.1-4 m, shift 3.5", DepthEncoderConfig(depth_min=0.1, depth_max=4.0)),
    ("log, 0.1-4 m, shift 0.5", DepthEncoderConfig(depth_min=0.1, depth_max=4.0, shift=0.5)),
    ("linear, 0.01-10 m", DepthEncoderConfig(use_log=False)),
    ("linear, 0.1-4 m", DepthEncoderConfig(use_log=False, depth_min=0.1, depth_max=4.0)),
]


OUT = Path(__file__).with_name("depth_step.png")


def main(out: Path = OUT) -> None:
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=110)
    for label, config in CURVES:
        d = np.linspace(config.depth_min, config.depth_max, 400)
        ax.plot(d, quantization_step(d, config) * 1000, label=label, ls="-" if config.use_log else "--")
    ax.set_xlabel("distance (m)")
    ax.set_ylabel("step between two codes (mm)")
    ax.set_yscale("log")
    ax.set_ylim(0.2, 10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("12-bit depth codes: quantization step against distance")
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
