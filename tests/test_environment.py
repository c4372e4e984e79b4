"""environment.yml (conda) and pyproject.toml (pip) must list the same dependencies."""

import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def as_specs(requirements):
    specs = {}
    for text in requirements:
        req = Requirement(text)
        specs[canonicalize_name(req.name)] = SpecifierSet(str(req.specifier))
    return specs


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def conda_environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]


def test_conda_environment_lists_the_pyproject_dependencies_with_the_same_versions():
    project = pyproject()
    wanted = as_specs(project["dependencies"] + project["optional-dependencies"]["dev"])
    conda = [d for d in conda_environment() if isinstance(d, str)]
    listed = as_specs(d for d in conda if not d.startswith(("python", "pip")))
    assert listed == wanted


def test_conda_environment_uses_python_311_and_installs_the_checkout():
    deps = conda_environment()
    assert "python=3.11" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert pip_section == ["-e ."]
    assert SpecifierSet(pyproject()["requires-python"]).contains("3.11")


def test_runtime_dependencies_are_tensorflow_keras3_numpy_matplotlib_and_the_evaluation_tools():
    specs = as_specs(pyproject()["dependencies"])
    # scikit-learn (kNN and linear probes) and scipy (chi-square tails) serve vaetutor's evaluation
    assert set(specs) == {"tensorflow", "keras", "numpy", "matplotlib", "scikit-learn", "scipy"}
    assert specs["keras"].contains("3.2.0") and not specs["keras"].contains("2.15.0")
    extras = pyproject()["optional-dependencies"]
    gpu = as_specs(extras["gpu"])
    assert set(gpu) == {"tensorflow", "jax", "torch"}  # the CUDA builds of the three backends
    assert gpu["tensorflow"] == specs["tensorflow"]
    assert set(as_specs(extras["jax"])) == {"jax"} and set(as_specs(extras["torch"])) == {"torch"}


def test_the_installed_package_includes_every_subpackage():
    """A non-editable install (pip install .) must ship vaetutor.exercises too, not just vaetutor."""
    from setuptools import find_packages

    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_packages(where=str(ROOT), include=find["include"]))
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "vaetutor").rglob("__init__.py")}
    assert on_disk <= shipped, f"not installed by pip install .: {sorted(on_disk - shipped)}"


def test_the_installed_package_includes_its_data_files():
    """Files the package reads at run time (the latent explorer's script) are package data."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["vaetutor"]
    package = ROOT / "vaetutor"
    data = [p for p in package.iterdir() if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert data, "expected the explorer's script among the package's files"
    missing = [p.name for p in data if not any(p.match(pattern) for pattern in patterns)]
    assert not missing, f"not installed by pip install .: {missing}"
