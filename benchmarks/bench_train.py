"""Training figures on this machine: a few SFT and DPO steps of LoRA on the embedded SmolLM2 (CPU).

Prints one JSON line: steps/s, trained tokens/s, peak RSS (process peak so far, so the DPO figure
includes the SFT phase), first and last loss, and the time to reload the adapter and generate.
Nothing is asserted; run it once on an otherwise idle machine for meaningful numbers.

    .venv/bin/python benchmarks/bench_train.py [--sft-steps 4] [--dpo-steps 2] [--max-length 256]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from longwriter.train.smoke import run_smoke


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sft-steps", type=int, default=4)
    parser.add_argument("--dpo-steps", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--folder", type=Path, help="keep the outputs here (default: a temp dir)")
    args = parser.parse_args()
    import torch

    with (
        tempfile.TemporaryDirectory(prefix="bench-train-") as tmp,
        contextlib.redirect_stdout(sys.stderr),  # the Trainer prints its logs to stdout
    ):
        result = run_smoke(
            args.folder or Path(tmp),
            sft_steps=args.sft_steps,
            dpo_steps=args.dpo_steps,
            max_length=args.max_length,
        )
    figures = result.summary()
    figures["generated"] = figures["generated"][:80]
    figures.update(
        benchmark="train_smoke",
        model="embedded SmolLM2-135M (LoRA r=16, float32)",
        max_length=args.max_length,
        torch=torch.__version__,
        threads=torch.get_num_threads(),
        cpus=os.cpu_count(),
        load_average=[round(x, 2) for x in os.getloadavg()],
        machine=platform.machine(),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
