"""Publish finished full-profile runs: copy their weights and histories into published/.

    python scripts/publish_runs.py [--artifacts notebooks/artifacts] [NAME ...]

For each named run of the series (default: every run), the finished run trained by
``vaetutor.training.train`` and opened by ``vaetutor.training.open_run`` in ``ARTIFACTS/<name>`` (its settings must be the run's full-profile
settings) is copied into ``published/<name>/`` and recorded in ``published/manifest.json`` with
sha256, settings, epochs, training time and machine. When a run of the KL sweep is published,
the sweep's results table is written again (``published/kl_sweep_results.json``,
``vaetutor.sweep.publish_results``). Publish again only when a model or its
training changed: every clone of the project carries these files.
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import keras

from vaetutor.published import publish
from vaetutor.runs import series_runs
from vaetutor.sweep import publish_results
from vaetutor.training import FINAL, open_run


def machine() -> str:
    """CPU model and core count, e.g. ``Intel(R) Xeon(R) Processor, 2 cores``."""
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os
    return f"{name}, {os.cpu_count()} cores"


def software() -> str:
    return (f"Keras {keras.__version__}, {keras.backend.backend()} "
            f"{__import__(keras.backend.backend()).__version__}, Python {platform.python_version()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="run names (default: all finished runs)")
    parser.add_argument("--artifacts", type=Path, default=Path("notebooks/artifacts"))
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    runs = series_runs("full")
    unknown = sorted(set(args.names) - set(runs))
    if unknown:
        parser.error(f"unknown run names {unknown}; expected some of {sorted(runs)}")
    published_sweep = False
    for name in args.names or runs:
        directory = args.artifacts / name
        if not (directory / FINAL).exists():
            print(f"{name}: not finished in {directory}, skipped")
            continue
        trained = open_run(runs[name], directory)  # refuses a folder with other settings
        entry = publish(trained, machine=machine(), software=software(), note=args.note)
        print(f"{name}: published, {entry['epochs']} epochs, {entry['seconds']:.0f} s")
        published_sweep |= name.startswith("kl_sweep_c")
    if published_sweep:  # the sweep's results table, as data (notebook 03 and exercise 03)
        print(f"KL sweep results written to {publish_results()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
