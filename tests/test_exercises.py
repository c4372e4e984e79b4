"""The checks of vaetutor.exercises: right answers pass, each typical mistake gets its own message.

Every check must accept the package's reference and another correct formulation (written in
NumPy, with other operations), reject each listed mistake naming it, and turn a function that
raises, returns the wrong shape or returns NaN into a sentence, never a traceback.
"""

import dataclasses
import json
import math
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from vaetutor import exercises as ex
from vaetutor import losses
from vaetutor.exercises.ch02_mlp_vae import kl_mistakes
from vaetutor.exercises.feedback import away_from_zero, close
from vaetutor.runs import mlp_vae_run
from vaetutor.sweep import RESULTS_FILE, format_results_table, read_results, write_results

# The checks hand Keras tensors to the student's function; on Keras' PyTorch backend those are
# torch tensors, which a function written with NumPy cannot take. The course runs on the
# default TensorFlow backend (and JAX), where both kinds of function work.
pytestmark = pytest.mark.skipif(keras.backend.backend() == "torch",
                                reason="the course's checks run on TensorFlow or JAX")


def _rejects(check, fn, *fragments):
    with pytest.raises(ex.ExerciseError) as info:
        check(fn)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    return message


# ---- 01: KL between two 1-D Gaussians (standard deviations) ---------------------------------

def kl_1d_keras(m1, s1, m2, s2):
    return ops.log(s2 / s1) + (ops.square(s1) + ops.square(m1 - m2)) / (2.0 * ops.square(s2)) - 0.5


def kl_1d_numpy_variances(m1, s1, m2, s2):
    v1, v2 = np.square(np.asarray(s1, float)), np.square(np.asarray(s2, float))
    return 0.5 * (np.log(v2) - np.log(v1) + v1 / v2 + (np.asarray(m1) - m2) ** 2 / v2 - 1.0)


@pytest.mark.parametrize("fn", [kl_1d_keras, kl_1d_numpy_variances])
def test_check_kl_1d_accepts_correct_formulations(fn, capsys):
    assert ex.check_kl_1d(fn) and ex.check_kl_1d(fn, seed=7)
    assert "passed" in capsys.readouterr().out


KL_1D_MISTAKES = {
    "flipped sign": lambda m1, s1, m2, s2: -kl_1d_keras(m1, s1, m2, s2),
    "missing 1/2": lambda m1, s1, m2, s2: np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2),
    "extra 1/2": lambda m1, s1, m2, s2: 0.5 * np.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5,
    "standard deviation used as a variance":
        lambda m1, s1, m2, s2: 0.5 * np.log(s2 / s1) + (s1 + (m1 - m2) ** 2) / (2 * s2) - 0.5,
    "arguments swapped": lambda m1, s1, m2, s2: kl_1d_keras(m2, s2, m1, s1),
}


@pytest.mark.parametrize("name", KL_1D_MISTAKES)
def test_check_kl_1d_names_each_mistake(name):
    _rejects(ex.check_kl_1d, KL_1D_MISTAKES[name], f"- {name}:")


# ---- 02: reparameterisation and analytic KL ------------------------------------------------

def reparameterize(z_mean, z_log_var, eps):
    return z_mean + ops.exp(0.5 * z_log_var) * eps


def reparameterize_numpy(z_mean, z_log_var, eps):
    return np.asarray(z_mean) + np.sqrt(np.exp(np.asarray(z_log_var))) * np.asarray(eps)


@pytest.mark.parametrize("fn", [reparameterize, reparameterize_numpy])
def test_check_reparameterize_accepts_correct_formulations(fn):
    assert ex.check_reparameterize(fn)


def _sqrt_or_nan(v):
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.asarray(v))


SAMPLING_MISTAKES = {
    "log-variance used as a standard deviation": lambda m, lv, e: m + lv * e,
    "log-variance used as a variance": lambda m, lv, e: m + _sqrt_or_nan(lv) * e,
    "log-variance used as a log standard deviation (missing 1/2)":
        lambda m, lv, e: m + ops.exp(lv) * e,
    "extra 1/2": lambda m, lv, e: m + 0.5 * ops.exp(0.5 * lv) * e,
    "flipped sign": lambda m, lv, e: m - ops.exp(0.5 * lv) * e,
    "missing mean": lambda m, lv, e: ops.exp(0.5 * lv) * e,
}


@pytest.mark.parametrize("name", SAMPLING_MISTAKES)
def test_check_reparameterize_names_each_mistake(name):
    _rejects(ex.check_reparameterize, SAMPLING_MISTAKES[name], f"- {name}:")


def kl_divergence(z_mean, z_log_var):
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def kl_numpy_per_dimension(z_mean, z_log_var):
    m, lv = np.asarray(z_mean, np.float64), np.asarray(z_log_var, np.float64)
    var = np.exp(lv)
    per_dim = 0.5 * (var + m * m - 1.0) - 0.5 * lv  # KL of each dimension, then add them up
    return np.einsum("bj->b", per_dim)


@pytest.mark.parametrize("fn", [kl_divergence, losses.kl_to_standard_normal, kl_numpy_per_dimension])
def test_check_kl_accepts_correct_formulations(fn):
    assert ex.check_kl(fn) and ex.check_kl(fn, seed=3)


def _kl(terms, reduce=lambda t: ops.sum(t, axis=-1)):
    return lambda m, lv: -0.5 * reduce(terms(ops.convert_to_tensor(m), ops.convert_to_tensor(lv)))


KL_MISTAKES = {
    "flipped sign": _kl(lambda m, lv: -(1 + lv - m * m - ops.exp(lv))),
    "missing 1/2": lambda m, lv: -ops.sum(1 + lv - ops.square(m) - ops.exp(lv), axis=-1),
    "extra 1/2": lambda m, lv: -0.25 * ops.sum(1 + lv - ops.square(m) - ops.exp(lv), axis=-1),
    "log-variance used as a standard deviation": _kl(lambda m, lv: 1 + lv - m * m - lv * lv),
    "log-variance used as a variance": _kl(lambda m, lv: 1 + lv - m * m - lv),
    "mean instead of sum over latent dimensions":
        _kl(lambda m, lv: 1 + lv - m * m - ops.exp(lv), lambda t: ops.mean(t, axis=-1)),
    "reduction over the batch instead of per example":
        _kl(lambda m, lv: 1 + lv - m * m - ops.exp(lv), lambda t: ops.mean(ops.sum(t, axis=-1))),
    "wrong axis": _kl(lambda m, lv: 1 + lv - m * m - ops.exp(lv), lambda t: ops.sum(t, axis=0)),
}


@pytest.mark.parametrize("name", KL_MISTAKES)
def test_check_kl_names_each_mistake(name):
    _rejects(ex.check_kl, KL_MISTAKES[name], f"- {name}:")


def test_check_kl_explains_a_function_that_raises_without_a_traceback():
    def broken(z_mean, z_log_var):
        return z_mean.nonexistent_method()

    message = _rejects(ex.check_kl, broken, "raised AttributeError", "nonexistent_method")
    assert "File " not in message


def test_check_kl_says_when_the_exercise_is_not_done():
    def stub(z_mean, z_log_var):
        raise NotImplementedError()

    _rejects(ex.check_kl, stub, "not done yet")


def test_check_kl_reports_a_wrong_shape():
    _rejects(ex.check_kl, lambda m, lv: np.zeros((len(m), 2)), "returned shape (6, 2)",
             "expected shape (6,)")


def test_check_kl_reports_nan():
    _rejects(ex.check_kl, lambda m, lv: np.full(np.shape(m)[0], np.nan), "NaN")


def test_check_kl_reports_a_scalar_for_the_batch():
    _rejects(ex.check_kl, lambda m, lv: np.float32(3.0), "one number for the batch",
             "reduce per example")


def test_check_kl_reports_none_and_an_unrecognised_error_with_an_example():
    _rejects(ex.check_kl, lambda m, lv: None, "returned None")
    message = _rejects(ex.check_kl, lambda m, lv: kl_divergence(m, lv) + 0.3,
                       "matches none of the usual mistakes", "largest difference")
    assert "right value is" in message


def test_a_check_refuses_a_called_function():
    _rejects(ex.check_kl, 3.0, "Pass the function itself")


def test_mistake_variants_of_the_kl_differ_from_each_other_and_from_the_reference():
    """On the check's inputs no two named mistakes (nor a mistake and the reference) coincide."""
    rng = np.random.default_rng(0)
    z_mean = away_from_zero(rng, -3, 3, (6, 4), margin=0.5)
    z_log_var = away_from_zero(rng, -3, 2, (6, 4))
    z_log_var[:2] = np.abs(z_log_var[:2])
    reference = ops.convert_to_numpy(losses.kl_to_standard_normal(z_mean, z_log_var))
    with np.errstate(all="ignore"):
        values = [np.asarray(m.compute(z_mean, z_log_var), float) for m in kl_mistakes()]
    for i, a in enumerate(values):
        assert not close(a, reference)
        for b in values[i + 1:]:
            assert not close(a, b)


# ---- 02: training with the student's functions ---------------------------------------------

def _short_run(epochs=1, train_size=2000):
    """Notebook 02's run, shorter (only the epochs and images change)."""
    return dataclasses.replace(mlp_vae_run("quick"), epochs=epochs, train_size=train_size)


def test_training_with_the_reference_functions_is_sane(capsys):
    report = ex.train_vae_with(reparameterize, kl_divergence, run=mlp_vae_run("quick"))
    assert ex.check_training(report)
    assert report.test_kl > 0 and math.isfinite(report.test_neg_elbo)
    assert len(report.history["loss"]) == 3


def test_training_uses_the_students_functions_in_the_packages_model():
    """A KL multiplied by 1000 (a mistake check_kl names) trains a VAE whose codes carry almost
    nothing: so the model trained is the student's, and its KL is in the loss."""
    report = ex.train_vae_with(reparameterize, lambda m, lv: 1000.0 * kl_divergence(m, lv),
                               run=_short_run())
    assert report.test_kl < ex.TRAINING_BOUNDS["min_kl"]
    with pytest.raises(ex.ExerciseError, match="too large"):
        ex.check_training(report)


def test_training_with_a_flipped_kl_fails_and_says_why():
    report = ex.train_vae_with(reparameterize, KL_MISTAKES["flipped sign"],
                               run=_short_run(train_size=3000))
    assert report.diverged is not None and report.error is None
    with pytest.raises(ex.ExerciseError, match=r"NaN or infinite in epoch \d+, by batch \d+.*sign"):
        ex.check_training(report)


def test_training_with_numpy_functions_explains_keras_ops():
    report = ex.train_vae_with(reparameterize, kl_numpy_per_dimension, run=_short_run())
    with pytest.raises(ex.ExerciseError, match="keras.ops"):
        ex.check_training(report)


# ---- 03: the sweep's results file ------------------------------------------------------------

def _row(c, recon, kl):
    return {"c": c, "reconstruction": recon, "kl": kl, "loss": recon + c * kl,
            "neg_elbo": recon + kl, "z_mean_mean": [0.0, 0.0], "z_mean_std": [1.0, 1.0],
            "rms_radius": 1.4, "codes": np.zeros((5, 2))}


#: A made-up sweep whose answers differ from the published one's (lowest -ELBO at c = 2, the
#: KL falls by a factor of exactly 2 from c = 0.5 to c = 2).
ROWS = [_row(0.0, 141.0, 800.0), _row(0.5, 148.0, 8.0), _row(1.0, 146.0, 6.0),
        _row(2.0, 147.0, 4.0), _row(20.0, 190.0, 0.5)]


def test_the_published_results_are_notebook_03s_table():
    """The file holds the eight coefficients, each row's -ELBO = recon + KL and loss =
    recon + c * KL, and it prints as the table notebook 03's committed outputs show."""
    rows = read_results()
    assert [r["c"] for r in rows] == [0.0, 0.02, 0.1, 0.5, 1.0, 2.0, 10.0, 20.0]
    for r in rows:
        assert r["neg_elbo"] == pytest.approx(r["reconstruction"] + r["kl"], abs=1e-9)
        assert r["loss"] == pytest.approx(r["reconstruction"] + r["c"] * r["kl"], abs=1e-9)
    notebook = Path(__file__).parents[1] / "notebooks" / "03_kl_coefficient_sweep.ipynb"
    printed = "".join("".join(output.get("text", "")) for cell in json.loads(notebook.read_text())
                      ["cells"] for output in cell.get("outputs", []))
    assert format_results_table(rows) in printed


def test_sweep_answers_are_computed_from_the_file_given(tmp_path):
    path = tmp_path / RESULTS_FILE
    write_results(ROWS, path)
    table = ex.load_sweep_table(path)
    assert ex.check_lowest_neg_elbo(2, table) and ex.check_kl_factor(2.0, table)
    assert ex.check_lowest_neg_elbo(2, path)
    _rejects(lambda a: ex.check_lowest_neg_elbo(a, table), 0, "- wrong column:", "c*KL + recon")
    _rejects(lambda a: ex.check_lowest_neg_elbo(a, table), 1, "another c has a lower one")
    _rejects(lambda a: ex.check_lowest_neg_elbo(a, table), "2", "should be a number")
    _rejects(lambda a: ex.check_kl_factor(a, table), 0.5, "- inverted ratio:")
    _rejects(lambda a: ex.check_kl_factor(a, table), 4.0, "- difference instead of ratio:")


def test_an_assignments_copy_in_the_working_folder_is_read_first(tmp_path, monkeypatch):
    write_results(ROWS, tmp_path / RESULTS_FILE)
    monkeypatch.chdir(tmp_path)
    assert [r["c"] for r in ex.load_sweep_table()] == [0.0, 0.5, 1.0, 2.0, 20.0]


def test_a_missing_or_broken_results_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.json"):
        ex.load_sweep_table(tmp_path / "nothing.json")
    (tmp_path / "rows.json").write_text('{"rows": [{"c": 1.0, "kl": 6.0}]}')
    with pytest.raises(ValueError, match=r"rows.json: row 0 lacks \['reconstruction'"):
        ex.load_sweep_table(tmp_path / "rows.json")


def test_sweep_checks_accept_the_answers_of_the_published_results():
    table = ex.load_sweep_table()
    best = min(table, key=lambda r: r["neg_elbo"])
    assert ex.check_lowest_neg_elbo(best["c"])
    kl = {r["c"]: r["kl"] for r in table}
    assert ex.check_kl_factor(kl[0.5] / kl[2.0])


# ---- 04: log-density and Monte-Carlo ELBO ---------------------------------------------------

def log_density_numpy(z, mean, log_var):
    z, mean, log_var = (np.asarray(a, np.float64) for a in (z, mean, log_var))
    var = np.exp(log_var)
    return np.sum(-0.5 * np.log(2 * np.pi * var) - (z - mean) ** 2 / (2 * var), axis=-1)


@pytest.mark.parametrize("fn", [losses.gaussian_log_density, log_density_numpy])
def test_check_log_density_accepts_correct_formulations(fn):
    assert ex.check_log_density(fn)


def _density(inside, reduce=lambda t: ops.sum(t, axis=-1)):
    def fn(z, mean, log_var):
        z, mean, log_var = (ops.convert_to_tensor(a) for a in (z, mean, log_var))
        return -0.5 * reduce(inside(z, mean, log_var) + ops.zeros_like(z))
    return fn


LOG_2PI = math.log(2 * math.pi)
DENSITY_MISTAKES = {
    "flipped sign": lambda *a: -losses.gaussian_log_density(*a),
    "missing 1/2": lambda *a: 2.0 * losses.gaussian_log_density(*a),
    "extra 1/2": lambda *a: 0.5 * losses.gaussian_log_density(*a),
    "log-variance used as a standard deviation":
        _density(lambda z, m, lv: LOG_2PI + ops.log(lv * lv) + ops.square(z - m) / (lv * lv)),
    "log-variance used as a variance": _density(lambda z, m, lv: LOG_2PI + lv + ops.square(z - m) / lv),
    "mean instead of sum over latent dimensions":
        _density(lambda z, m, lv: LOG_2PI + lv + ops.square(z - m) * ops.exp(-lv),
                 lambda t: ops.mean(t, axis=-1)),
    "reduction over the batch instead of per example":
        lambda *a: ops.mean(losses.gaussian_log_density(*a)),
    "wrong axis": _density(lambda z, m, lv: LOG_2PI + lv + ops.square(z - m) * ops.exp(-lv),
                           lambda t: ops.sum(t, axis=0)),
}


@pytest.mark.parametrize("name", DENSITY_MISTAKES)
def test_check_log_density_names_each_mistake(name):
    _rejects(ex.check_log_density, DENSITY_MISTAKES[name], f"- {name}:")


def test_check_log_density_explains_a_function_that_fails_on_scalar_parameters():
    def no_broadcast(z, mean, log_var):
        return np.sum(-0.5 * (LOG_2PI + log_var + (z - mean) ** 2 / np.exp(log_var)), axis=1)[mean.shape[0] * 0:]

    _rejects(ex.check_log_density, no_broadcast, "raised", "mean = 0.0 and log_var = 0.0")


def elbo(x, logits, z, z_mean, z_log_var, log_density=losses.gaussian_log_density):
    return (losses.bernoulli_log_likelihood(x, logits) + log_density(z, 0.0, 0.0)
            - log_density(z, z_mean, z_log_var))


def elbo_numpy(x, logits, z, z_mean, z_log_var):
    x, logits = np.asarray(x, np.float64), np.asarray(logits, np.float64)
    log_px = np.sum(np.where(x > 0, x * -np.logaddexp(0, -logits), 0)
                    + (1 - x) * -np.logaddexp(0, logits), axis=1)
    return log_px + log_density_numpy(z, 0.0, 0.0) - log_density_numpy(z, z_mean, z_log_var)


@pytest.mark.parametrize("fn", [elbo, elbo_numpy])
def test_check_monte_carlo_elbo_accepts_correct_formulations(fn):
    assert ex.check_monte_carlo_elbo(fn)


def test_check_monte_carlo_elbo_passes_the_reference_density():
    """A wrong log-density of the student's is not counted again in the ELBO exercise."""
    def elbo_with_broken_default(x, logits, z, z_mean, z_log_var,
                                 log_density=DENSITY_MISTAKES["missing 1/2"]):
        return elbo(x, logits, z, z_mean, z_log_var, log_density)

    assert ex.check_monte_carlo_elbo(elbo_with_broken_default)


def _log_px(x, logits, reduce=lambda t: ops.sum(t, axis=-1)):
    return reduce(x * logits - ops.softplus(logits))


ELBO_MISTAKES = {
    "flipped sign": lambda x, l, z, m, lv: -elbo(x, l, z, m, lv),
    "mean instead of sum over pixels": lambda x, l, z, m, lv: _log_px(
        x, l, lambda t: ops.mean(t, axis=-1)) + losses.gaussian_log_density(z, 0.0, 0.0)
        - losses.gaussian_log_density(z, m, lv),
    "reduction over the batch instead of per example":
        lambda x, l, z, m, lv: ops.mean(elbo(x, l, z, m, lv)),
    "analytic KL instead of the single-sample estimate":
        lambda x, l, z, m, lv: _log_px(x, l) - losses.kl_to_standard_normal(m, lv),
}


@pytest.mark.parametrize("name", ELBO_MISTAKES)
def test_check_monte_carlo_elbo_names_each_mistake(name):
    _rejects(ex.check_monte_carlo_elbo, ELBO_MISTAKES[name], f"- {name}:")


# ---- 05: kernel and MMD ---------------------------------------------------------------------

def kernel_numpy(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    d = x.shape[1]
    squared_norms = (x**2).sum(1)[:, None] + (y**2).sum(1)[None, :] - 2 * x @ y.T
    return np.exp(-squared_norms / d**2)  # ||x - y||^2 / d^2 = mean_d(...) / d


@pytest.mark.parametrize("fn", [losses.gaussian_kernel_matrix, kernel_numpy])
def test_check_kernel_accepts_correct_formulations(fn):
    assert ex.check_kernel(fn)


def _sq(x, y):
    return ops.square(ops.expand_dims(x, 1) - ops.expand_dims(y, 0))


KERNEL_MISTAKES = {
    "bandwidth not divided by the dimension": lambda x, y: ops.exp(-ops.mean(_sq(x, y), axis=-1)),
    "flipped sign": lambda x, y: ops.exp(ops.mean(_sq(x, y), axis=-1) / x.shape[-1]),
    "wrong axis": lambda x, y: ops.transpose(losses.gaussian_kernel_matrix(x, y)),
    "missing exp": lambda x, y: ops.mean(_sq(x, y), axis=-1) / x.shape[-1],
}


@pytest.mark.parametrize("name", KERNEL_MISTAKES)
def test_check_kernel_names_each_mistake(name):
    _rejects(ex.check_kernel, KERNEL_MISTAKES[name], f"- {name}:")


def mmd_numpy(x, y, kernel=kernel_numpy):
    kxx, kyy, kxy = (np.asarray(ops.convert_to_numpy(kernel(a, b))) for a, b in ((x, x), (y, y), (x, y)))
    n, m = len(kxx), len(kyy)
    return kxx.sum() / n**2 + kyy.sum() / m**2 - 2 * kxy.sum() / (n * m)


@pytest.mark.parametrize("fn", [losses.maximum_mean_discrepancy, mmd_numpy])
def test_check_mmd_accepts_correct_formulations(fn):
    assert ex.check_mmd(fn)


def _mmd(combine):
    def fn(x, y, kernel=losses.gaussian_kernel_matrix):
        return combine(ops.mean(kernel(x, x)), ops.mean(kernel(y, y)), ops.mean(kernel(x, y)))
    return fn


MMD_MISTAKES = {
    "cross term not doubled": _mmd(lambda xx, yy, xy: xx + yy - xy),
    "wrong sign of the cross term": _mmd(lambda xx, yy, xy: xx + yy + 2 * xy),
    "wrong sign": _mmd(lambda xx, yy, xy: -(xx + yy - 2 * xy)),
    "square root": _mmd(lambda xx, yy, xy: ops.sqrt(xx + yy - 2 * xy)),
}


@pytest.mark.parametrize("name", MMD_MISTAKES)
def test_check_mmd_names_each_mistake(name):
    _rejects(ex.check_mmd, MMD_MISTAKES[name], f"- {name}:")


def test_check_mmd_passes_the_reference_kernel():
    def mmd_with_broken_default(x, y, kernel=KERNEL_MISTAKES["bandwidth not divided by the dimension"]):
        return losses.maximum_mean_discrepancy(x, y) if kernel is losses.gaussian_kernel_matrix else np.nan

    assert ex.check_mmd(mmd_with_broken_default)
