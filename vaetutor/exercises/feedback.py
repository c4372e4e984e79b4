"""The feedback engine of the exercises: run a student's function, compare, name the mistake.

A check hands the student's function a few :class:`Case` s (random inputs as NumPy arrays and
as Keras tensors, and edge cases) and :func:`judge` compares each result with the package's
reference. When they differ, it compares the result with every :class:`Mistake` of the
exercise: a small NumPy function computing what one typical wrong formula gives (the KL with
its sign flipped, a missing 1/2, the log-variance used as a variance, a mean where a sum
belongs, the wrong axis). The inputs are chosen so that the variants differ from each other and
from the right answer, so a wrong result matches at most one, and the message names it. A
correct solution written another way (other operations, NumPy instead of ``keras.ops``) gives
the same numbers and passes. A function that raises, returns None, the wrong shape or NaN gets
one sentence saying so, never a traceback from inside the check.

Every failure is an :class:`ExerciseError`, an ``AssertionError``, so nbgrader counts the test
cell as failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

class ExerciseError(AssertionError):
    """A student's answer is wrong; the message says what was seen and how to fix it."""


@dataclass(frozen=True)
class Mistake:
    """A named typical mistake: ``compute(*args)`` gives what that wrong formula returns."""

    name: str
    explanation: str
    compute: object


@dataclass(frozen=True)
class Case:
    """One set of inputs: positional ``args`` (NumPy), and how to describe them in a message."""

    args: tuple
    what: str
    as_tensors: bool = False
    kwargs: dict = field(default_factory=dict)


def fail(message: str):
    """Raise the explanation; a notebook's traceback shows the test cell and this frame only."""
    __tracebackhide__ = True  # IPython hides the check's own frames between the two
    raise ExerciseError(message) from None  # the message below says what is wrong


def to_tensor(value):
    from keras import ops

    return ops.convert_to_tensor(value) if isinstance(value, np.ndarray) else value


def as_numpy(value, fn_name: str, what: str) -> np.ndarray:
    """The student's return value as a float64 NumPy array, or a failure that says why not."""
    __tracebackhide__ = True
    if value is None:
        fail(f"{fn_name} returned None {what}: it must return its result (is a `return` "
              "missing?).")
    try:
        from keras import ops

        array = np.asarray(ops.convert_to_numpy(value) if not isinstance(value, (int, float, np.ndarray, np.generic, list, tuple)) else value)
    except Exception as err:  # noqa: BLE001 - any failure here is the student's return type
        fail(f"{fn_name} returned a {type(value).__name__} {what}, which is not an array of "
              f"numbers ({type(err).__name__}: {err}); return a NumPy array or a Keras tensor.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        fail(f"{fn_name} returned values of type {array.dtype} {what}; expected numbers.")
    return array.astype(np.float64)


def call_student(fn, fn_name: str, case: Case) -> np.ndarray:
    """Call the student's function on a case; an exception becomes one sentence."""
    __tracebackhide__ = True
    args = tuple(to_tensor(a) for a in case.args) if case.as_tensors else case.args
    try:
        value = fn(*args, **case.kwargs)
    except NotImplementedError:
        fail(f"{fn_name} raised NotImplementedError: the exercise is not done yet - replace "
              "`raise NotImplementedError()` by your code.")
    except Exception as err:  # noqa: BLE001 - report any error of student code, no traceback
        message = str(err).strip().splitlines()[0] if str(err).strip() else "(no message)"
        fail(f"{fn_name} raised {type(err).__name__} {case.what}: {message}")
    return as_numpy(value, fn_name, case.what)


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4) -> bool:
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(b))) if b.size and np.any(np.isfinite(b)) else 1.0)
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-5 * scale, equal_nan=True))


def judge(fn, fn_name: str, case: Case, reference, mistakes, *, per: str | None,
           hint_inputs: str, rtol: float = 1e-4):
    """Compare the student's output on ``case`` with ``reference``; fail with the best message.

    ``per``: what one output value belongs to (``"example"`` for shape ``(batch,)``,
    ``"batch"`` for a single number, ``None`` for element-wise or matrix outputs).
    """
    __tracebackhide__ = True
    got = call_student(fn, fn_name, case)
    want = np.asarray(reference(*case.args), dtype=np.float64)
    if per == "batch" and got.size == 1:
        got = got.reshape(())
    if close(got, want, rtol):
        return got
    for mistake in mistakes:
        with np.errstate(all="ignore"):
            variant = np.asarray(mistake.compute(*case.args), dtype=np.float64)
        # A variant that is NaN everywhere tells nothing apart: match only informative ones.
        if np.any(np.isfinite(variant)) and close(got, variant, rtol):
            fail(f"{fn_name} is not right yet - {mistake.name}: {mistake.explanation}")
    if per == "example" and got.size == 1 and want.ndim == 1 and want.size > 1:
        fail(f"{fn_name} returned one number for the batch of {want.size} examples {case.what}: "
              "reduce per example - sum over each example's own values and keep one value per "
              f"example, shape ({want.size},); do not average or sum over the batch.")
    if got.shape != want.shape:
        fail(f"{fn_name} returned shape {got.shape} {case.what}; expected shape {want.shape}"
              + (" (one value per example)" if per == "example" else "")
              + ". Check which axis you reduce over.")
    if not np.all(np.isfinite(got)):
        bad = int(np.sum(~np.isfinite(got)))
        fail(f"{fn_name} returned NaN or infinite values ({bad} of {got.size}) {case.what}, "
              "where the right answer is finite: look for the log or square root of a negative "
              "number, or an exp that overflows.")
    diff = np.abs(got - want)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    fail(f"{fn_name} gives other numbers than the reference {case.what}, and the difference "
          f"matches none of the usual mistakes: largest difference {float(np.max(diff)):.4g} at "
          f"index {tuple(int(i) for i in worst)}, where it returned {float(got[worst]):.6g} "
          f"and the right value is {float(want[worst]):.6g}. {hint_inputs}")


def passed(fn_name: str, cases: int, extra: str = ""):
    print(f"\u2713 {fn_name} passed ({cases} checks: random inputs as NumPy arrays and as Keras "
          f"tensors, and edge cases){extra}.")
    return True


def function_name(fn) -> str:
    return getattr(fn, "__name__", None) or type(fn).__name__


def check_callable(fn, what: str):
    __tracebackhide__ = True
    if not callable(fn):
        fail(f"expected your function {what}; got a {type(fn).__name__} ({fn!r:.60}). "
              "Pass the function itself, without calling it: check(my_function).")


def numpy_reference(package_fn):
    """The package's function (``keras.ops``), returning NumPy."""
    from keras import ops

    def reference(*args):
        return ops.convert_to_numpy(package_fn(*args))

    return reference


def away_from_zero(rng, low, high, size, margin=0.25):
    """Uniform values in [low, high] with ``|value| >= margin`` (so that log(x^2) etc. are tame)."""
    values = rng.uniform(low, high, size)
    small = np.abs(values) < margin
    values[small] = np.where(values[small] >= 0, margin, -margin) + values[small]
    return values.astype(np.float32)
