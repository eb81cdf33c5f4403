"""course_utils.filters: the batched, compiled ascent does the plain per-filter step, traces once per
(layer, image size), raises live filters, leaves dead ones alone; deprocessing, grids, PNG, FLOP counts."""

import numpy as np
import pytest
from PIL import Image

from course_utils import filters, setup
from course_utils.models import load_vgg16

setup(announce=False)

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

SIZE = 32  # small images keep every test fast; block2 maps are 16 x 16 here


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    # Module-scoped (building VGG16 takes a second); KERAS_HOME points at a fresh folder, nothing is downloaded.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras_home")))
        return load_vgg16(weights="bundled")


@pytest.fixture(scope="module")
def block2(model):
    return filters.FilterVisualizer(model, "block2_conv2", SIZE)


def plain_ascent(model, layer, k, steps, step_size, seed, size=SIZE, border=2):
    """The notebook's step, one filter at a time, eagerly: the reference for the compiled version."""
    fm = keras.Model(model.input, model.get_layer(layer).output)

    def mean_activation(image):
        return tf.reduce_mean(fm(image[None])[0, border:-border, border:-border, k])

    image = tf.constant(filters.start_image(size, seed))
    history = []
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = mean_activation(image)
        grads = tape.gradient(loss, image)
        image = image + step_size * grads / (tf.sqrt(tf.reduce_mean(tf.square(grads))) + 1e-8)
        history.append(float(loss))
    history.append(float(mean_activation(image)))
    return image.numpy(), np.array(history)


def test_conv_layer_names_match_keras_vgg16(model):
    assert filters.conv_layer_names(model) == list(filters.VGG16_CONV_LAYERS)
    assert len(filters.VGG16_CONV_LAYERS) == 13


@pytest.mark.parametrize("name", ["block3_pool", "block9_conv1", "input_layer"])
def test_unknown_layer_lists_the_valid_conv_layers(model, name):
    with pytest.raises(ValueError, match=f"{name}.*valid: block1_conv1, block1_conv2, .*block5_conv3$"):
        filters.FilterVisualizer(model, name, SIZE)


def test_conv_flops_formula(model):
    flops = filters.conv_flops(model, "block4_conv3", 64)
    assert flops["block1_conv1"] == 2 * 64 * 64 * 3 * 3 * 3 * 64 == 14_155_776
    assert list(flops) == list(filters.VGG16_CONV_LAYERS[:10])
    # independent check: output sizes from Keras' own shape inference
    shape = (1, 64, 64, 3)
    for layer in model.layers[1:]:
        shape = layer.compute_output_shape(shape)
        if layer.name in flops:
            kh, kw, c_in, c_out = layer.kernel.shape
            assert flops[layer.name] == 2 * shape[1] * shape[2] * kh * kw * c_in * c_out
    bigger = filters.conv_flops(model, "block4_conv3", 128)
    assert all(bigger[name] == 4 * flops[name] for name in flops)


def test_forward_flops_count_only_the_own_filters_of_the_target_layer(model):
    flops = filters.conv_flops(model, "block2_conv2", 64)
    trunk = sum(v for k, v in flops.items() if k != "block2_conv2")
    own = filters.FilterVisualizer(model, "block2_conv2", 64)
    assert own.forward_flops(8) == trunk + flops["block2_conv2"] * 8 // 128
    assert own.forward_flops(500) == sum(flops.values())  # more filters per call than the layer has
    full = filters.FilterVisualizer(model, "block2_conv2", 64, fast_head=False)
    assert full.forward_flops(8) == sum(flops.values())


def test_start_image_is_vgg16_preprocessing_of_noisy_grey():
    rng = np.random.default_rng(3)
    rgb = 128.0 + rng.uniform(-10, 10, size=(SIZE, SIZE, 3))
    expected = keras.applications.vgg16.preprocess_input(rgb.copy()).astype("float32")
    np.testing.assert_array_equal(filters.start_image(SIZE, seed=3), expected)
    assert not np.array_equal(filters.start_image(SIZE, seed=3), filters.start_image(SIZE, seed=4))


def test_deprocess_centres_scales_and_turns_bgr_into_rgb():
    grey = np.zeros((8, 8, 3)) - filters.IMAGENET_MEAN_BGR  # RGB (0, 0, 0) in VGG16's input space: any flat grey
    np.testing.assert_array_equal(filters.deprocess(grey), np.full((8, 8, 3), 128, np.uint8))
    bgr = np.zeros((2, 8, 8, 3)) - filters.IMAGENET_MEAN_BGR
    bgr[:, :4, :, 0] += 100.0  # strong blue (channel 0 in BGR) in the top half
    out = filters.deprocess(bgr)
    assert out.dtype == np.uint8 and out.shape == (2, 8, 8, 3)
    assert out[0, 0, 0, 2] > out[0, 0, 0, 0]  # blue is the last RGB channel
    assert out[0, 0, 0, 2] > out[0, 7, 0, 2]  # the top half is brighter in blue
    x = np.random.default_rng(0).normal(size=(16, 16, 3)) * 50
    mean_level = filters.deprocess(x, contrast=0.1).mean()
    assert 120 < mean_level < 136  # centred on mid-grey


def test_stitch_places_tiles_with_margins():
    tiles = np.stack([np.full((4, 5, 3), i, np.uint8) for i in range(1, 6)])
    grid = filters.stitch(tiles, ncols=3, margin=2, background=255)
    assert grid.shape == (2 * 4 + 2, 3 * 5 + 2 * 2, 3)
    assert (grid[:4, :5] == 1).all() and (grid[:4, 7:12] == 2).all() and (grid[6:10, 7:12] == 5).all()
    assert (grid[4:6] == 255).all() and (grid[:, 5:7] == 255).all()
    assert (grid[6:, 14:] == 255).all()  # the missing sixth tile stays background


def test_save_png_round_trip(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, size=(6, 7, 3), dtype=np.uint8)
    path = filters.save_png(image, tmp_path / "new" / "folder" / "grid.png")
    np.testing.assert_array_equal(np.asarray(Image.open(path)), image)


def test_batched_compiled_ascent_equals_the_plain_step(model, block2):
    live = np.flatnonzero(block2.start_activations(seed=1) > 0)[:3]
    result = block2.visualize(live, steps=4, step_size=3.0, seed=1, progress=False)
    for i, k in enumerate(live):
        image, history = plain_ascent(model, "block2_conv2", int(k), steps=4, step_size=3.0, seed=1)
        np.testing.assert_allclose(result.history[:, i], history, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(result.images[i], image, atol=1e-2)


def test_traced_once_per_layer_and_image_size(model):
    vis = filters.FilterVisualizer(model, "block1_conv2", SIZE)
    vis.visualize([0, 1, 2], steps=2, step_size=1.0, progress=False)
    vis.visualize([5], steps=3, step_size=2.0, seed=7, progress=False)
    vis.visualize(range(10), steps=1, step_size=0.5, batch_size=4, progress=False)  # batches of 4, 4, 2
    assert vis.trace_count == 1
    assert vis._ascend.experimental_get_tracing_count() == 1
    other_size = filters.FilterVisualizer(model, "block1_conv2", SIZE + 16)
    other_size.visualize([0, 1], steps=1, progress=False)
    assert other_size.trace_count == 1 and vis.trace_count == 1


def test_each_image_gets_its_own_gradient(block2):
    live = np.flatnonzero(block2.start_activations(seed=0) > 0)
    alone = block2.visualize(live[:1], steps=3, progress=False)
    together = block2.visualize(live[:4], steps=3, progress=False)
    np.testing.assert_allclose(together.history[:, 0], alone.history[:, 0], rtol=1e-4)
    np.testing.assert_allclose(together.images[0], alone.images[0], atol=1e-2)


def test_ascent_raises_live_filters_and_cannot_move_dead_ones(block2):
    at_start = block2.start_activations(seed=0)
    live, dead = np.flatnonzero(at_start > 0)[:4], np.flatnonzero(at_start == 0)[:2]
    assert len(live) == 4 and len(dead) == 2, "the bundled block2_conv2 has both kinds at the grey start"
    result = block2.visualize(np.concatenate([live, dead]), steps=5, step_size=2.0, progress=False)
    np.testing.assert_allclose(result.before, at_start[result.filters], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(result.dead, [False] * 4 + [True] * 2)
    assert np.all(result.after[:4] > result.before[:4])
    assert np.all(result.history[:, 4:] == 0) and np.all(result.start_grad_rms[4:] == 0)
    np.testing.assert_array_equal(result.images[4:], np.stack([filters.start_image(SIZE, 0)] * 2))
    tiles = result.uint8()
    assert tiles.shape == (6, SIZE, SIZE, 3) and tiles.dtype == np.uint8


def test_one_step_moves_each_image_by_step_size_rms(block2):
    live = np.flatnonzero(block2.start_activations(seed=0) > 0)[:3]
    result = block2.visualize(live, steps=1, step_size=2.5, progress=False)
    change = result.images - filters.start_image(SIZE, 0)
    np.testing.assert_allclose(np.sqrt((change**2).mean(axis=(1, 2, 3))), 2.5, rtol=1e-4)


def test_small_feature_maps_keep_their_centre(model):
    deep = filters.FilterVisualizer(model, "block5_conv3", SIZE)  # 2 x 2 feature map: no border left
    assert deep.border == 0
    assert filters.FilterVisualizer(model, "block4_conv3", SIZE).border == 1  # 4 x 4: a 2 x 2 centre
    assert filters.FilterVisualizer(model, "block1_conv1", SIZE).border == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"filter_indices": [128]}, "filter_indices must be 1 or more of 0..127"),
        ({"filter_indices": [-1]}, "filter_indices"),
        ({"filter_indices": []}, "filter_indices"),
        ({"filter_indices": [0], "steps": 0}, "steps must be a positive int"),
        ({"filter_indices": [0], "batch_size": 0}, "batch_size must be a positive int"),
    ],
)
def test_bad_arguments_are_rejected(block2, kwargs, message):
    with pytest.raises(ValueError, match=message):
        block2.visualize(**kwargs, progress=False)


@pytest.mark.parametrize("size", [8, 15, 64.0, True])
def test_bad_image_size_is_rejected(model, size):
    with pytest.raises(ValueError, match="image_size must be an int >= 16"):
        filters.FilterVisualizer(model, "block1_conv1", size)


@pytest.mark.parametrize("layer", ["block1_conv1", "block2_conv2", "block3_conv3", "block4_conv1", "block5_conv2"])
@pytest.mark.parametrize("size", [32, 48])
def test_the_adaptive_rule_never_lowers_an_activation_and_raises_every_live_filter(model, layer, size):
    vis = filters.FilterVisualizer(model, layer, size, adaptive=True)
    live = np.flatnonzero(vis.start_activations() > 0)[:6]
    result = vis.visualize(live, steps=12, batch_size=6, progress=False)
    assert np.all(np.diff(result.history, axis=0) >= 0), "a step lowered an activation"
    assert np.all(result.after > result.before)


def test_bfloat16_measures_before_and_after_in_float32_and_agrees_with_float32(model):
    fast = filters.FilterVisualizer(model, "block3_conv1", SIZE, precision="bfloat16")
    exact = filters.FilterVisualizer(model, "block3_conv1", SIZE, precision="float32")
    live = np.flatnonzero(exact.start_activations() > 0)[:4]
    a, b = fast.visualize(live, steps=8, progress=False), exact.visualize(live, steps=8, progress=False)
    np.testing.assert_allclose(a.before, b.before, rtol=1e-5)  # the same float32 measurement
    np.testing.assert_allclose(a.after, fast.activations(a.images, live), rtol=1e-5)
    np.testing.assert_allclose(a.after, b.after, rtol=0.1)  # bfloat16 arithmetic: the same climb, within 10%
    with pytest.raises(ValueError, match="precision must be one of float32, bfloat16, auto"):
        filters.FilterVisualizer(model, "block3_conv1", SIZE, precision="float16")


def test_the_ascent_stops_once_every_filter_reaches_its_target(block2):
    live = np.flatnonzero(block2.start_activations() > 0)[:3]
    start = np.repeat(filters.start_image(SIZE)[None], 3, axis=0)
    _, full, _, taken = block2.ascend(start, live, 20)
    assert taken == 20
    targets = full[5]  # what 5 steps reach
    _, history, _, taken = block2.ascend(start, live, 20, targets=targets)
    assert taken == 5 and np.all(history[-1] >= targets) and np.all(history[5:] == history[5])
    assert block2._ascend.experimental_get_tracing_count() == 1  # targets are a tensor: no new trace


def neighbour_correlation(images, start):
    d = np.asarray(images, np.float64) - start
    left, right = d[:, :, :-1].reshape(len(d), -1), d[:, :, 1:].reshape(len(d), -1)
    left, right = left - left.mean(1, keepdims=True), right - right.mean(1, keepdims=True)
    return (left * right).sum(1) / np.sqrt((left**2).sum(1) * (right**2).sum(1))


def test_a_blurred_step_gives_smoother_images_and_still_climbs(model):
    plain = filters.FilterVisualizer(model, "block3_conv1", 48, adaptive=True)
    blurred = filters.FilterVisualizer(model, "block3_conv1", 48, adaptive=True, blur=1.0)
    live = np.flatnonzero(plain.start_activations() > 0)[:4]
    a, b = (vis.visualize(live, steps=10, progress=False) for vis in (plain, blurred))
    start = filters.start_image(48)
    assert np.all(neighbour_correlation(b.images, start) > neighbour_correlation(a.images, start) + 0.05)
    assert np.all(b.after > b.before) and b.options["blur"] == 1.0


def test_the_blur_is_a_gaussian_per_channel_and_keeps_the_step_uphill(model):
    vis = filters.FilterVisualizer(model, "block1_conv1", SIZE, blur=1.5)
    impulse = np.zeros((1, SIZE, SIZE, 3), np.float32)
    impulse[0, 16, 16] = [1.0, 2.0, -1.0]
    out = vis._smooth(tf.constant(impulse)).numpy()[0]
    np.testing.assert_allclose(out.sum(axis=(0, 1)), [1.0, 2.0, -1.0], rtol=1e-5)  # weights sum to 1, channels apart
    profile = out[:, :, 0].sum(axis=1)  # the vertical profile of the blurred impulse
    offsets = np.arange(SIZE) - 16
    np.testing.assert_allclose(np.sum(profile * offsets**2), 1.5**2, rtol=0.02)  # variance sigma^2
    np.testing.assert_allclose(out[:, :, 0], out[:, :, 0].T, atol=1e-7)  # the same blur across and down
    grads = tf.constant(np.random.default_rng(0).normal(size=(4, SIZE, SIZE, 3)).astype(np.float32))
    once = vis._half_blur(grads).numpy()
    uphill = np.sum(grads.numpy() * vis._smooth(grads).numpy(), axis=(1, 2, 3))
    np.testing.assert_allclose(uphill, np.sum(once**2, axis=(1, 2, 3)), rtol=1e-4)  # g . KKg = |Kg|^2 >= 0


def test_jitter_measures_before_and_after_on_the_unshifted_images(model):
    vis = filters.FilterVisualizer(model, "block2_conv1", SIZE, adaptive=True, jitter=4)
    live = np.flatnonzero(vis.start_activations() > 0)[:3]
    res = vis.visualize(live, steps=6, progress=False)
    np.testing.assert_allclose(res.before, vis.start_activations()[live], rtol=1e-5)
    np.testing.assert_allclose(res.after, vis.activations(res.images, live), rtol=1e-5)
    shifts = {tuple(vis._shift(tf.constant(i)).numpy()) for i in range(20)}
    assert len(shifts) > 5 and all(abs(v) <= 4 for s in shifts for v in s)  # shifts vary, within the bound
    assert vis._ascend.experimental_get_tracing_count() == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"jitter": 9}, "jitter must be an int from 0 to image_size // 4 = 8"),
        ({"jitter": 1.5}, "jitter must be an int"),
        ({"blur": 5}, "blur must be a number of pixels from 0 to 4"),
        ({"blur": -1}, "blur must be a number of pixels from 0 to 4"),
    ],
)
def test_bad_regularizer_options_are_rejected(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        filters.FilterVisualizer(model, "block1_conv1", SIZE, **kwargs)


def fake_result(before, after, **options):
    n = len(before)
    history = np.stack([before, after]).astype(np.float32)
    return filters.FilterVisualization(
        "block9_conv9", np.arange(10, 10 + n), np.zeros((n, 4, 4, 3), np.float32), history,
        np.where(np.asarray(before) == 0, 0.0, 1.0), options,
    )  # fmt: skip


def test_check_climbed_names_the_filters_that_did_not_climb_and_why(capsys):
    filters.check_climbed(fake_result([1.0, 0.0], [5.0, 0.0], adaptive=True))  # the dead one is not counted
    assert capsys.readouterr().out == ""
    stuck = fake_result([1.0, 2.0, 3.0], [5.0, 2.0, 1.0], adaptive=False)
    with pytest.raises(AssertionError, match=r"block9_conv9: 2 live filter\(s\) did not climb: filter 11 \(2 -> 2: "
                       r"no step was kept.*filter 12 \(3 -> 1: the fixed step overshot"):  # fmt: skip
        filters.check_climbed(stuck)
    filters.check_climbed(fake_result([1.0], [0.5], adaptive=True, precision="bfloat16"), strict=False)
    assert "filter 10 (1 -> 0.5: steps judged in bfloat16" in capsys.readouterr().out


def test_save_grid_writes_a_labelled_png_and_no_partial_file(block2, tmp_path):
    live = np.flatnonzero(block2.start_activations() > 0)[:10]
    res = block2.visualize(live, steps=2, progress=False)
    path = filters.save_grid(res, tmp_path / "grids" / "block2.png", "test grid", ncols=8)
    with Image.open(path) as image:
        assert image.size == (int(1.7 * 8 * 100), int((1.95 * 2 + 0.6) * 100))  # 8 columns, 2 rows at 100 dpi
        pixels = np.asarray(image.convert("L"))
    assert (pixels < 100).mean() > 0.001  # titles and tiles drawn, not a blank page
    assert [p.name for p in path.parent.iterdir()] == ["block2.png"]


def test_describe_names_the_options():
    assert filters.describe_options(True, 1.0, 0, "bfloat16") == "adaptive step, blur 1 px, bfloat16"
    assert filters.describe_options(False, 0, 3, "float32") == "fixed step, jitter 3 px, float32"


# Every conv layer of VGG16 at two sizes, bundled and untrained: the notebook's default ascent (adaptive,
# blur 1 px, precision auto) raises every live filter. bench/filter_climb.py runs the larger sweep (32 to 224 px).
@pytest.fixture(scope="module")
def untrained():
    import keras

    keras.utils.set_random_seed(0)  # the same random weights in every run: a test that passes once always passes
    return load_vgg16(weights=None)


@pytest.mark.parametrize("layer", filters.VGG16_CONV_LAYERS)
@pytest.mark.parametrize("network", ["bundled", "untrained"])
def test_the_default_ascent_raises_every_live_filter_of_every_layer(model, untrained, network, layer):
    net = model if network == "bundled" else untrained
    for size in (32, 80):
        vis = filters.FilterVisualizer(net, layer, size, adaptive=True, blur=1.0, precision="auto")
        live = np.flatnonzero(vis.start_activations() > 0)[:8]
        res = vis.visualize(live, steps=30, batch_size=8, progress=False)
        filters.check_climbed(res)


# The own-filter head (fast_head, the default): the same numbers as the full layer, fewer FLOPs.
@pytest.mark.parametrize("layer", ["block1_conv1", "block2_conv2", "block4_conv3"])
def test_the_own_filter_head_gives_the_full_layers_numbers(model, layer):
    fast = filters.FilterVisualizer(model, layer, SIZE, adaptive=True)
    full = filters.FilterVisualizer(model, layer, SIZE, adaptive=True, fast_head=False)
    assert fast.fast_head and not full.fast_head
    live = np.flatnonzero(full.start_activations() > 0)[:4]
    a, b = (vis.visualize(live, steps=6, batch_size=4, progress=False) for vis in (fast, full))
    np.testing.assert_allclose(a.history, b.history, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(a.images, b.images, atol=1e-2)
    # and on its own: the head's maps are the full layer's channels, picked per image
    images = np.random.default_rng(0).normal(0, 30, size=(3, SIZE, SIZE, 3)).astype(np.float32)
    chosen = np.array([5, 0, 63], np.int32)
    maps = fast._own_maps(tf.constant(images), tf.constant(chosen)).numpy()
    whole = full.feature_model(images).numpy()
    np.testing.assert_allclose(maps, whole[np.arange(3), :, :, chosen], rtol=1e-4, atol=1e-3)


def test_the_default_ascent_climbs_at_least_as_high_as_the_classic_loop(model, block2):
    # The classic loop: fixed step, one filter at a time (plain_ascent). The adaptive rule with the own-filter head,
    # the same number of steps, reaches at least its activation for every filter.
    live = np.flatnonzero(block2.start_activations() > 0)[:4]
    fast = filters.FilterVisualizer(model, "block2_conv2", SIZE, adaptive=True)
    res = fast.visualize(live, steps=12, batch_size=4, progress=False)
    for i, k in enumerate(live):
        _, history = plain_ascent(model, "block2_conv2", int(k), steps=12, step_size=2.0, seed=0)
        assert res.after[i] >= history[-1] * 0.999, (k, res.after[i], history[-1])


def test_a_non_vgg_layer_and_the_efficientnet_input_space(model):
    # Any layer with (N, h, w, C) or (N, C) output once conv_only=False; start_image/deprocess in the other space.
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", name="c1")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(6.0, name="act")(x)
    logits = keras.layers.Dense(5, name="logits")(keras.layers.GlobalAveragePooling2D()(x))
    toy = keras.Model(inputs, logits, name="toy")
    for name in ("act", "logits"):
        vis = filters.FilterVisualizer(toy, name, SIZE, adaptive=True, conv_only=False, input_space="efficientnet_lite")
        res = vis.visualize([0, 1, 2], steps=4, progress=False)
        assert res.images.shape == (3, SIZE, SIZE, 3) and np.all(res.after >= res.before)
        assert res.options["input_space"] == "efficientnet_lite" and res.uint8().dtype == np.uint8
    start = filters.start_image(SIZE, 2, space="efficientnet_lite")
    rng = np.random.default_rng(2)
    rgb = 128.0 + rng.uniform(-10, 10, size=(SIZE, SIZE, 3))
    np.testing.assert_allclose(start, (rgb - 127.0) / 128.0, atol=1e-6)  # course_utils.efficientnet's preprocessing
    np.testing.assert_array_equal(
        filters.deprocess(start, space="efficientnet_lite"), filters.deprocess(filters.start_image(SIZE, 2))
    )  # the same picture in either space; fmt: skip
    # a step of 2 grey levels is 2 / 128 in this space
    vis = filters.FilterVisualizer(toy, "act", SIZE, conv_only=False, input_space="efficientnet_lite")
    one = vis.visualize([1], steps=1, step_size=2.0, progress=False)
    moved = one.images[0] - filters.start_image(SIZE, 0, space="efficientnet_lite")
    np.testing.assert_allclose(np.sqrt((moved**2).mean()), 2.0 / 128, rtol=1e-3)
    with pytest.raises(ValueError, match="not a conv layer of toy; valid: c1$"):
        filters.FilterVisualizer(toy, "act", SIZE)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input_space": "torch"}, "input_space must be one of caffe, efficientnet_lite; got 'torch'"),
        ({"fast_head": 1}, "fast_head must be True or False, got 1"),
        ({"conv_only": "no"}, "conv_only must be True or False, got 'no'"),
        ({"adaptive": None}, "adaptive must be True or False, got None"),
        ({"momentum": 1.0}, r"momentum must be a number from 0 \(none\) to below 1, got 1.0"),
        ({"momentum": True}, r"momentum must be a number from 0 \(none\) to below 1, got True"),
        ({"conv_only": False, "layer_name": "nope"}, "layer_name 'nope' is not a layer of"),
        ({"conv_only": False, "layer_name": "flatten_like"}, None),
    ],
)
def test_new_options_are_validated_with_one_line_errors(model, kwargs, message):
    if message is None:  # a layer whose output is neither a map nor a vector
        inputs = keras.Input((SIZE, SIZE, 3))
        toy = keras.Model(inputs, keras.layers.Reshape((SIZE, SIZE * 3), name="flatten_like")(inputs))
        with pytest.raises(ValueError, match=r"output shape \(1, 32, 96\); allowed: \(N, h, w, C\) or \(N, C\)"):
            filters.FilterVisualizer(toy, "flatten_like", SIZE, conv_only=False)
        return
    args = {"layer_name": "block1_conv1", **kwargs}
    with pytest.raises(ValueError, match=message) as err:
        filters.FilterVisualizer(model, args.pop("layer_name"), SIZE, **args)
    assert "\n" not in str(err.value)


# Momentum (opt-in; 0, the default, is the plain rule): the step follows the running sum of normalized gradients.
def test_momentum_steps_along_the_running_sum_of_normalized_gradients(model):
    vis = filters.FilterVisualizer(model, "block2_conv2", SIZE, momentum=0.5)  # fixed step: every step is kept
    assert vis.describe() == "fixed step, momentum 0.5, float32" and vis.options["momentum"] == 0.5
    k, start = 3, filters.start_image(SIZE, 0)
    fm = keras.Model(model.input, model.get_layer("block2_conv2").output)

    def unit_gradient(image):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = tf.reduce_mean(fm(image[None])[0, 2:-2, 2:-2, k])
        g = tape.gradient(loss, image)
        return g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-8)

    x0 = tf.constant(start)
    g0 = unit_gradient(x0)
    x1 = x0 + 2.0 * g0
    v = 0.5 * g0 + unit_gradient(x1)
    x2 = x1 + 2.0 * v / tf.sqrt(tf.reduce_mean(tf.square(v)))
    final = vis.ascend(start[None], [k], steps=2, step_size=2.0)[0]
    np.testing.assert_allclose(final[0], x2.numpy(), atol=2e-3)
    plain = filters.FilterVisualizer(model, "block2_conv2", SIZE).ascend(start[None], [k], steps=2, step_size=2.0)[0]
    assert np.abs(plain[0] - final[0]).max() > 0.1  # momentum changed the second step


@pytest.mark.parametrize("layer", ["block2_conv2", "block3_conv2"])
def test_momentum_climbs_in_12_steps_at_least_as_high_as_the_classic_30(model, layer):
    # notebook 12's fast settings against the classic loop (fixed step 2, 30 steps, one filter at a time)
    vis = filters.FilterVisualizer(model, layer, SIZE, adaptive=True, momentum=0.9)
    live = np.flatnonzero(vis.start_activations() > 0)[:4]
    res = vis.visualize(live, steps=12, batch_size=4, progress=False)
    for i, k in enumerate(live):
        _, history = plain_ascent(model, layer, int(k), steps=30, step_size=2.0, seed=0)
        assert res.after[i] >= history[-1], (k, res.after[i], history[-1])
