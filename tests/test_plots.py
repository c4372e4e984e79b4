"""The figures: labelled axes, class-name colour bars, and a correctly oriented manifold."""

import numpy as np
import pytest
from statistics import NormalDist

from vaetutor.plots import (
    latent_grid,
    plot_bound_against_k,
    plot_side_by_side,
    plot_decoder_manifold,
    plot_latent_scatter,
    plot_loss_curves,
    plot_metrics_against,
    plot_reconstructions,
    plot_standard_normal_reference,
)


def test_standard_normal_reference_draws_n_points_with_latent_axis_labels():
    fig = plot_standard_normal_reference(n=5000, seed=0)
    ax = fig.axes[0]
    offsets = ax.collections[0].get_offsets()
    assert offsets.shape == (5000, 2)
    assert abs(offsets.mean()) < 0.05 and abs(offsets.std() - 1) < 0.03
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("z[0]", "z[1]")


def test_latent_scatter_has_a_colour_bar_labelled_with_class_names():
    names = ("T-shirt/top", "Trouser", "Pullover")
    z = np.random.default_rng(0).normal(size=(30, 2))
    fig = plot_latent_scatter(z, np.arange(30) % 3, names, title="t")
    colorbar_axis = fig.axes[1]
    assert [t.get_text() for t in colorbar_axis.get_yticklabels()] == list(names)
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot_latent_scatter(np.zeros((5, 3)), np.zeros(5), names)


def test_latent_grid_runs_top_left_to_bottom_right():
    grid, xs, ys = latent_grid(n=30, extent=3.0)
    assert grid.shape == (900, 2)
    np.testing.assert_allclose(grid[0], [-3, 3])
    np.testing.assert_allclose(grid[29], [3, 3])
    np.testing.assert_allclose(grid[-1], [3, -3])


def test_quantile_grid_uses_standard_normal_quantiles():
    _, xs, _ = latent_grid(n=4, spacing="quantile")
    expected = [NormalDist().inv_cdf(p) for p in (0.125, 0.375, 0.625, 0.875)]
    np.testing.assert_allclose(xs, expected)
    with pytest.raises(ValueError, match="spacing"):
        latent_grid(spacing="log")


def test_manifold_decodes_in_one_batch_and_places_tiles_by_their_codes():
    calls = []

    def decode(z):
        calls.append(len(z))
        # each tile's brightness encodes its z[0]; a bright dot in the corner encodes z[1] > 0
        images = np.repeat(((z[:, :1] + 3) / 6), 784, axis=1)
        images[:, 0] = (z[:, 1] > 0).astype(float)
        return images

    fig = plot_decoder_manifold(decode, n=30, extent=3.0, title="Decoder output for c = 1")
    canvas = np.asarray(fig.axes[0].images[0].get_array())
    assert calls == [900]
    assert canvas.shape == (840, 840)
    np.testing.assert_allclose(canvas[5, 1], 0.0, atol=1e-6)  # left column: z[0] = -3
    np.testing.assert_allclose(canvas[5, 839], 1.0, atol=1e-6)  # right column: z[0] = +3
    assert canvas[0, 0] == 1.0 and canvas[28 * 29, 0] == 0.0  # top row z[1] > 0, bottom < 0
    assert fig.axes[0].get_title() == "Decoder output for c = 1"


def test_manifold_rejects_a_decoder_of_the_wrong_size():
    with pytest.raises(ValueError, match="900 images"):
        plot_decoder_manifold(lambda z: np.zeros((len(z), 10)), n=30)


def test_reconstruction_figure_titles_inputs_and_reconstructions():
    x = np.random.default_rng(0).uniform(size=(10, 784))
    fig = plot_reconstructions(x, x, n=10)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "Input0" and titles[9] == "Input9" and titles[10] == "Recon0"
    with pytest.raises(ValueError, match="divide"):
        plot_reconstructions(np.round(x * 255), x)


def test_loss_curves_show_training_and_validation_per_metric():
    history = {m: [3.0, 2.0] for m in ("loss", "reconstruction_loss", "kl_loss")}
    history.update({f"val_{m}": [3.5, 2.5] for m in list(history)})
    fig = plot_loss_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "reconstruction_loss", "kl_loss"]
    assert all(len(ax.lines) == 2 for ax in fig.axes)
    with pytest.raises(ValueError, match="kl_loss"):
        plot_loss_curves({"loss": [1.0]})


def test_loss_curves_zoom_past_a_first_epoch_far_above_the_rest_and_say_so():
    train = [300.0, 160.0, 155.0, 152.0, 151.0, 150.5]
    history = {"loss": train, "val_loss": [v + 2.0 for v in train]}
    fig = plot_loss_curves(history, metrics=("loss",))
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert 149 < low < 150.5 and 162 < high < 175          # epochs 2-6 of both curves, not 300
    assert ax.get_xlabel() == "epoch\n(epoch 1 off the axes: training 300, validation 302)"
    inside = plot_loss_curves({"kl": [6.1, 5.0, 5.5, 5.8, 6.1], "val_kl": [4.0, 5.0, 5.5, 5.9, 6.0]},
                              metrics=("kl",)).axes[0]
    assert inside.get_xlabel() == "epoch\n(epoch 1 off the axes: validation 4)"   # 6.1 is drawn
    whole = plot_loss_curves(history, metrics=("loss",), zoom_after_first=False).axes[0]
    assert whole.get_ylim()[1] > 300 and whole.get_xlabel() == "epoch"
    short = plot_loss_curves({"loss": train[:3]}, metrics=("loss",)).axes[0]
    assert short.get_ylim()[1] > 300                          # too few epochs to zoom


def test_image_grid_tiles_images_row_by_row():
    from vaetutor.plots import plot_image_grid

    images = np.zeros((6, 784))
    images[4] = 1.0  # second row, second column with 4 columns
    fig = plot_image_grid(images, n_cols=4, title="samples")
    canvas = np.asarray(fig.axes[0].images[0].get_array())
    assert canvas.shape == (56, 112)
    assert canvas[28:, 0:28].min() == 1.0 and canvas[:28, :].max() == 0.0
    assert canvas[28:, 56:].min() == 1.0  # unused cells are left white


def test_training_snapshot_has_samples_codes_and_grid_and_becomes_a_gif(tmp_path):
    from PIL import Image

    from vaetutor.conv import build_conv_vae
    from vaetutor.plots import figure_to_array, plot_training_snapshot, save_gif

    vae = build_conv_vae(seed=0)
    x = np.random.default_rng(0).uniform(size=(50, 28, 28, 1)).astype("float32")
    fig = plot_training_snapshot(vae, x, np.arange(50) % 10, tuple("abcdefghij"), epoch=3,
                                 grid_n=5)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["samples from the prior, epoch 3", "test set in latent space, epoch 3",
                          "decoded grid over [-3, 3]², epoch 3"]
    frame = figure_to_array(fig)
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8
    path = save_gif([frame, 255 - frame], tmp_path / "training.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 2 and gif.size == (frame.shape[1], frame.shape[0])
    with pytest.raises(ValueError, match="no frames"):
        save_gif([], tmp_path / "empty.gif")


def test_gif_with_kept_colours_keeps_close_class_colours_apart(tmp_path):
    """Three class colours on dots over a mostly grey frame: an adaptive palette may merge them;
    with ``keep_colors`` each comes back exactly, and so do its half-transparent blends."""
    from PIL import Image

    from vaetutor.plots import class_colors, save_gif

    colors = class_colors(10)
    frame = np.repeat(np.linspace(0, 255, 300)[None, :, None], 200, axis=0).repeat(3, axis=2)
    frame = np.round(frame).astype("uint8")                        # a grey ramp, 300 columns
    wanted = {}
    for i, k in enumerate([2, 4, 6]):                              # Pullover, Coat, Shirt
        rgb = np.round(np.array(colors[k]) * 255).astype("uint8")
        blend = np.round((0.6 * np.array(colors[k]) + 0.4) * 255).astype("uint8")
        frame[10 + 20 * i:14 + 20 * i, 10:14] = rgb                 # 4 x 4-pixel dots
        frame[10 + 20 * i:14 + 20 * i, 30:34] = blend
        wanted[(12 + 20 * i, 12)], wanted[(12 + 20 * i, 32)] = rgb, blend
    path = save_gif([frame, frame], tmp_path / "kept.gif", keep_colors=colors)
    with Image.open(path) as gif:
        back = np.asarray(gif.convert("RGB"))
    for (row, col), rgb in wanted.items():
        np.testing.assert_array_equal(back[row, col], rgb)
    assert len({tuple(back[r, c]) for r, c in wanted}) == 6
    # greys: one of 226 levels, matched by Pillow on 6 bits per channel (4 levels of 256)
    assert np.abs(back[150].astype(int) - frame[150]).max() <= 4
    with pytest.raises(ValueError, match="at most 66 colours"):
        save_gif([frame], tmp_path / "many.gif", keep_colors=[(0.5, 0.5, 0.5)] * 70)


def test_scatter_grid_shares_a_window_and_reports_the_share_inside():
    from vaetutor.plots import plot_latent_scatter_grid

    rng = np.random.default_rng(0)
    codes = {0.0: rng.normal(size=(100, 2)) * 50, 1.0: rng.normal(size=(100, 2))}
    fig = plot_latent_scatter_grid(codes, np.arange(100) % 3, ("a", "b", "c"), ncols=2,
                                   title_format="c = {:g}", limit=5)
    first, second = fig.axes[:2]
    assert first.get_xlim() == second.get_xlim() == (-5, 5)
    assert first.get_title().startswith("c = 0 (") and "inside" in first.get_title()
    assert second.get_title() == "c = 1"


def test_show_as_jpeg_displays_a_jpeg_and_closes_the_figure(monkeypatch):
    import matplotlib.pyplot as plt
    import IPython.display

    from vaetutor.plots import show_as_jpeg

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    fig = plot_decoder_manifold(lambda z: np.zeros((len(z), 784)), n=4)
    show_as_jpeg(fig)
    assert shown[0].format == "jpeg" and shown[0].data[:2] == b"\xff\xd8"
    assert not plt.fignum_exists(fig.number)


def test_bound_figure_plots_the_paired_gain_over_the_elbo():
    elbo = np.array([-100.0, -90.0, -80.0])
    bounds = {"a": {1: elbo, 10: elbo + [1.0, 2.0, 3.0], 100: elbo + 4.0}}
    fig = plot_bound_against_k(bounds)
    (line,) = fig.axes[0].lines
    np.testing.assert_allclose(line.get_xdata(), [1, 10, 100])
    np.testing.assert_allclose(line.get_ydata(), [0.0, 2.0, 4.0])
    assert fig.axes[0].get_xscale() == "log"
    with pytest.raises(ValueError, match="K = 1"):
        plot_bound_against_k({"b": {10: elbo}})


def test_side_by_side_bars_have_one_bar_per_group_and_model():
    values = {"2-D": {"VAE": {"m": 1.0}, "MMD": {"m": 2.0}},
              "16-D": {"VAE": {"m": 3.0}, "MMD": {"m": 4.0}}}
    fig = plot_side_by_side(values, {"m": "metric m"})
    heights = sorted(p.get_height() for p in fig.axes[0].patches)
    assert heights == [1.0, 2.0, 3.0, 4.0]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["2-D", "16-D"]
    with pytest.raises(ValueError, match="models"):
        plot_side_by_side({"a": {"VAE": {"m": 1}}, "b": {"MMD": {"m": 1}}}, {"m": "m"})
    small = {"2-D": {"VAE": {"m": 0.04, "k": 1.0}, "MMD": {"m": 0.0009, "k": 2.0}}}
    logged = plot_side_by_side(small, {"m": "MMD²", "k": "kNN"}, log_y=("m",))
    assert [ax.get_yscale() for ax in logged.axes[:2]] == ["log", "linear"]
    assert logged.axes[0].get_ylim()[0] == pytest.approx(0.0003)   # a third of the smallest bar


C = [0.0, 0.02, 0.1, 0.5, 1.0, 2.0, 10.0, 20.0]


def test_metrics_against_a_sweep_show_every_setting_inside_the_axes():
    """Ticks at the swept values, labelled as written; no setting on the axes' edges (the c = 20
    point once sat clipped on the right edge) and no negative c on a symmetric-log axis."""
    fig = plot_metrics_against(C, {"loss": [150 + c for c in C]}, xlabel="c")
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == C
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.02", "0.1", "0.5", "1", "2",
                                                             "10", "20"]
    low, high = ax.get_xlim()
    assert -0.01 < low < 0 and high > 20 * 1.2


def test_a_point_above_the_limit_is_drawn_inside_the_axes_with_its_value():
    ys = [1254.0, 171.0, 155.0, 152.0, 151.6, 151.3, 163.8, 190.7]
    fig = plot_metrics_against(C, {"-ELBO": ys}, xlabel="c", ylim={"-ELBO": (145, 200)})
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    assert low == 145 and high > 200  # the marker at 200 is not cut in half by the edge
    assert [t.get_text() for t in ax.texts] == ["1254"]


def test_a_log_axis_spanning_less_than_a_decade_labels_plain_numbers_around_the_data():
    fd = [207.0, 172.0, 166.0, 146.0, 132.0, 137.0, 188.0, 290.0]
    fig = plot_metrics_against(C, {"FD": fd}, xlabel="c", log_y=["FD"])
    ax = fig.axes[0]
    fig.canvas.draw()
    low, high = ax.get_ylim()
    labelled = [t for t in ax.get_yticks() if low <= t <= high]
    assert ax.get_yscale() == "log" and len(labelled) >= 5
    assert min(labelled) < 150 and max(labelled) > 250  # 132 and 290 can be read off
    assert all(str(int(t)) == label.get_text() for t, label in zip(ax.get_yticks(),
                                                                      ax.get_yticklabels())
               if low <= t <= high)


def test_manifold_grid_panels_keep_their_latent_ticks():
    from vaetutor.plots import plot_decoder_manifold_grid

    def decode(z):                       # a bright pixel whose place follows z[0]
        images = np.zeros((len(z), 28, 28), "float32")
        images[np.arange(len(z)), 14, np.clip(((z[:, 0] + 3) / 6 * 27).astype(int), 0, 27)] = 1
        return images

    fig = plot_decoder_manifold_grid({c: decode for c in range(6)}, n=7, extent=3.0, ncols=4)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert len(panels) == 6
    for i, ax in enumerate(panels):
        assert [t.get_text() for t in ax.get_xticklabels()] == ["-3", "-2", "-1", "0", "1", "2", "3"]
        assert ax.get_ylabel() == ("z[1]" if i % 4 == 0 else "")
        assert ax.get_xlabel() == ("z[0]" if i >= 2 else "")   # panels 2, 3 have none below
    import matplotlib.pyplot as plt

    plt.close(fig)
