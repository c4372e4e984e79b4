"""Training profiles: ``full`` reproduces the articles, ``quick`` checks the code in minutes.

The profile comes from the environment variable ``VAETUTOR_PROFILE``. A person who opens a
notebook gets ``full`` (the articles' settings); ``make test`` and CI set ``quick`` (few epochs,
possibly a subset of the data) so that every notebook runs in a few minutes on a 2-core CPU.
"""

from __future__ import annotations

import os

ENV_VAR = "VAETUTOR_PROFILE"
PROFILES = ("full", "quick")
DEFAULT_PROFILE = "full"


def current_profile() -> str:
    """Return the active profile name, ``"full"`` unless ``VAETUTOR_PROFILE`` says otherwise."""
    name = os.environ.get(ENV_VAR, DEFAULT_PROFILE).strip().lower() or DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(
            f"{ENV_VAR}={name!r} is not a known profile; expected one of {', '.join(PROFILES)}"
        )
    return name


def profile_line() -> str:
    """``Profile: full  (set VAETUTOR_PROFILE=full or quick to change)``: what a notebook prints."""
    return f"Profile: {current_profile()}  (set {ENV_VAR}=full or quick to change)"


def choose_settings(*, full: dict, quick: dict, verbose: bool = True) -> dict:
    """Return the settings of the active profile (a new dict with a ``"profile"`` key).

    Both dicts must have the same keys, so that a notebook never reads a setting that exists in
    only one profile. With ``verbose`` the choice is printed, one ``key = value`` per line.
    """
    if set(full) != set(quick):
        raise ValueError(
            "full and quick settings must have the same keys; "
            f"only in full: {sorted(set(full) - set(quick))}, "
            f"only in quick: {sorted(set(quick) - set(full))}"
        )
    profile = current_profile()
    settings = {"profile": profile, **(full if profile == "full" else quick)}
    if verbose:
        print(profile_line())
        for key, value in settings.items():
            if key != "profile":
                print(f"  {key} = {value}")
    return settings
