"""Code shown in the notebooks: whole functions, highlighted as Python, plain text for nbval."""

import pytest

from vaetutor.layers import reparameterize
from vaetutor.source import show_source
from vaetutor.vae import VAE


def test_source_is_the_whole_function_dedented_and_fenced_as_python():
    shown = show_source(reparameterize, VAE.loss_terms)
    assert repr(shown).startswith("def reparameterize(z_mean, z_log_var, eps):")
    assert "\ndef loss_terms(self, x, outputs):" in repr(shown)  # a method, dedented
    assert "kl_loss = self.kl_divergence(" in repr(shown)
    markdown = shown._repr_markdown_()
    assert markdown.startswith("```python\n") and markdown.endswith("\n```")
    assert repr(shown) in markdown


def test_showing_nothing_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        show_source()
