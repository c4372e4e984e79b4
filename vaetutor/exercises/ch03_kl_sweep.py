"""Exercise 03: reading the KL-coefficient sweep's results, ``check_lowest_neg_elbo`` and
``check_kl_factor``.

The questions are checked against the sweep's results as data: the rows of
:func:`vaetutor.sweep.evaluate_runs` that the published full-profile sweep wrote once to
``published/kl_sweep_results.json`` (:func:`vaetutor.sweep.read_results`), the numbers notebook
03 prints and asserts. An assignment ships a copy of that file beside the notebook.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..published import published_folder
from ..sweep import RESULTS_FILE, format_results_table, read_results
from .feedback import fail


def sweep_results_path(source=None) -> Path:
    """The results file to read: ``source`` if given, else ``kl_sweep_results.json`` in the
    working folder (the copy an assignment ships with), else the published one."""
    if source is not None:
        return Path(source)
    here = Path.cwd() / RESULTS_FILE
    return here if here.is_file() else published_folder() / RESULTS_FILE


def load_sweep_table(source=None) -> list[dict]:
    """The published sweep's results, one dict per c (:func:`vaetutor.sweep.read_results`):
    ``row["c"]``, ``row["reconstruction"]``, ``row["kl"]``, ``row["loss"]`` (= reconstruction
    + c * KL, what that run minimised) and ``row["neg_elbo"]`` (= reconstruction + KL), in nats
    per image on the MNIST test set, and the spread of the codes."""
    return read_results(sweep_results_path(source))


def show_sweep_table(source=None) -> None:
    """Print the results as notebook 03 prints them, and the file they were read from."""
    path = sweep_results_path(source)
    print(f"(from {path.name})")
    print(format_results_table(read_results(path)))


def _number(answer, what: str) -> float:
    __tracebackhide__ = True
    if answer is NotImplemented or answer is None or isinstance(answer, (str, bool)):
        fail(f"{what} should be a number; got {answer!r}.")
    try:
        value = float(np.asarray(answer, dtype=np.float64).reshape(()))
    except Exception:  # noqa: BLE001
        fail(f"{what} should be one number; got {answer!r}.")
    if not math.isfinite(value):
        fail(f"{what} is {value}; expected a finite number.")
    return value


def _row(table, c):
    return next(r for r in table if r["c"] == c)


def check_lowest_neg_elbo(answer, table=None) -> bool:
    """Check the value of c whose held-out -ELBO (``row["neg_elbo"]``, the table's ``-ELBO``
    column) is the lowest."""
    __tracebackhide__ = True
    table = table if isinstance(table, list) else load_sweep_table(table)
    c = _number(answer, "lowest_neg_elbo_c")
    right = min(table, key=lambda r: r["neg_elbo"])["c"]
    if math.isclose(c, right):
        print(f"\u2713 right: c = {right:g} has the lowest held-out -ELBO, "
              f"{_row(table, right)['neg_elbo']:.2f} nats.")
        return True
    named = [
        ("loss", "that is the c with the lowest training objective c*KL + recon. That loss "
         "changes its meaning with c (at c = 0 it is the reconstruction alone); the bound on "
         "log p(x) that compares models is -ELBO = recon + KL, the column -ELBO (row[\"neg_elbo\"])."),
        ("reconstruction", "that is the c with the lowest reconstruction loss: a small c buys a good "
         "reconstruction with a large KL. The question is about -ELBO = recon + KL."),
        ("kl", "that is the c with the lowest KL; the question asks for the lowest -ELBO = "
         "recon + KL."),
    ]
    for column, why in named:
        if math.isclose(c, min(table, key=lambda r: r[column])["c"]):
            fail(f"c = {c:g} is not the answer - wrong column: {why}")
    if math.isclose(c, max(table, key=lambda r: r["neg_elbo"])["c"]):
        fail(f"c = {c:g} has the highest -ELBO, not the lowest: a lower -ELBO is a better bound.")
    if not any(math.isclose(c, r["c"]) for r in table):
        fail(f"c = {c:g} is not one of the swept values {[r['c'] for r in table]}.")
    fail(f"c = {c:g} has -ELBO {_row(table, c)['neg_elbo']:.2f}; another c has a lower one. Read "
          "the -ELBO column (the fifth; row[\"neg_elbo\"]) and take the row with the smallest "
          "value.")


def check_kl_factor(answer, table=None, c_from: float = 0.5, c_to: float = 2.0) -> bool:
    """Check KL(c_from) / KL(c_to): by what factor the held-out KL falls from c=0.5 to c=2.

    Accepted within 1 % (the table rounds to two decimals).
    """
    __tracebackhide__ = True
    table = table if isinstance(table, list) else load_sweep_table(table)
    value = _number(answer, "kl_factor")
    kl_from, kl_to = _row(table, c_from)["kl"], _row(table, c_to)["kl"]
    right = kl_from / kl_to
    if math.isclose(value, right, rel_tol=0.01):
        print(f"\u2713 right: the KL falls from {kl_from:.2f} to {kl_to:.2f} nats, "
              f"a factor of {right:.3f}.")
        return True
    named = [
        (kl_to / kl_from, "inverted ratio", f"you divided KL(c={c_to:g}) by KL(c={c_from:g}); the"
         f" factor it falls by is KL(c={c_from:g}) / KL(c={c_to:g}), larger than 1."),
        (kl_from - kl_to, "difference instead of ratio", "that is how many nats the KL falls by; "
         "the question asks for the factor, a ratio."),
        ((kl_from - kl_to) / kl_from, "relative fall instead of factor", "that is the fraction "
         "of the KL lost; the factor is the ratio of the two KLs."),
        ((c_from * kl_from) / (c_to * kl_to), "weighted KL", "you divided c * KL; the question "
         "is about the KL column itself."),
    ]
    for candidate, name, why in named:
        if math.isclose(value, candidate, rel_tol=0.01):
            fail(f"kl_factor = {value:.4g} is not right - {name}: {why}")
    fail(f"kl_factor = {value:.4g}; the KL column gives {kl_from:.2f} at c = {c_from:g} and "
          f"{kl_to:.2f} at c = {c_to:g}: divide the first by the second.")
