"""Filter visualization by gradient ascent on the input image (notebook 12).

For a filter of a VGG16 conv layer, start from a grey image with a little noise and repeat

    loss  = mean activation of the filter over its feature map (border excluded)
    g     = d loss / d image,  normalized to unit root-mean-square per image
    image = image + step_size * g

on a model truncated at that layer. `FilterVisualizer` does this for many filters at once: one image
per filter in a batch (each image's loss is its own filter's mean activation, so the gradient of the
summed losses gives every image its own gradient), all steps inside one compiled call, and the filter
indices passed as a tensor so that the function is traced once per (layer, image size), not per filter.

On CPUs with bfloat16 matrix instructions (AVX512_BF16 or AMX_BF16) `precision="auto"` runs the
network in bfloat16 (Keras' mixed_bfloat16 policy: bfloat16 arithmetic, float32 weights and image),
several times faster per step than float32 there; the activations before and after the ascent are
always measured in float32. Elsewhere "auto" means float32.

Own filter only (`fast_head=True`, the default): the target layer's full output has C channels (512 in
block4_conv3) but image i needs only its own filter's. For a Conv2D target layer the network runs up to the
layer's input, and the layer itself is applied with the kernels of the batch's filters alone (N output channels
instead of C: the same numbers, and the last layer's forward and backward cost N / C of the full layer's).
bench/filter_speed.py measures the gain; the activations reported before and after the ascent are measured on
the full layer.

Momentum (`momentum=0.9`, opt-in; the default 0 keeps the plain rule): each step goes along the running sum
v = momentum * v + g / rms(g) of the normalized gradients, rescaled to unit rms, so consecutive gradients that agree
add up to a longer effective path in the same number of steps. With the adaptive rule a step that lowered the
activation is undone as before, v restarts from the gradient at the kept image, and the step grows back by 20% per
kept step (ADAPTIVE_GROWTH_AFTER_MOMENTUM). With adaptive=True, momentum=0.9 and 12 steps (notebook 12's settings),
every filter bench/filter_speed.py --method fast compares reaches at least the classic loop's 30-step activation
without the blur, in float32 and in bfloat16; with notebook 12's blur of 1 px, compared with the classic loop with
the same blur, most filters do, not all. See that script for the speed-up and the pictures' smoothness.

Images live in the model's input space: "caffe" for VGG16 (BGR channel order, ImageNet mean subtracted, 0..255
scale), "efficientnet_lite" for course_utils.efficientnet ((RGB - 127) / 128). `deprocess` undoes that and turns
them into displayable RGB uint8, `stitch` makes a grid with margins and `save_png` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# ImageNet mean in VGG16's channel order (B, G, R), subtracted by keras.applications.vgg16.preprocess_input
# (float64, as there, so that start_image matches preprocess_input bit for bit).
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68])
# The adaptive step rule: a step that raised the activation is followed by a 50% longer one, until the first
# step of that image that lowered it; after that only 5% longer; never more than 5 times step_size. A step that
# lowered the activation is undone and retried at half the length, so no filter's activation ever falls (a
# fixed step can push a barely live filter to zero). Chosen with bench/filter_speed.py at 128 px (speed-up at
# equal or higher activation, blocks 1 / 2 / 3 / 4): this rule x3.2 / 3.5 / 6.1 / 7.2; growth 1.1 up to 3x
# x2.3 / 3.4 / 6.2 / 7.4 (block 1 needs the fast start); growth 1.25 up to 4x throughout x3.8 / 2.2 / 3.3 / 4.8
# (steps undone again and again in block 2); a fixed step in bfloat16 x1.3 / 3.5 / 4.2 / 5.9.
ADAPTIVE_GROWTH, ADAPTIVE_GROWTH_AFTER, ADAPTIVE_MAX = 1.5, 1.05, 5.0
# With momentum the steps turn less from one to the next, and a run is short (12 steps): after an undone step the
# step grows by 20% again instead of 5%. With 5%, a barely live filter whose first steps were undone spent the rest
# of the 12 steps regrowing its step: bench/filter_speed.py --method fast showed one block3_conv2 filter at 0.60 of the
# classic loop's activation in bfloat16; with 20%, at least 1.05 in float32 and 1.21 in bfloat16 on 16 filters of
# each of the four layers (no blur).
ADAPTIVE_GROWTH_AFTER_MOMENTUM = 1.2
# Input spaces: name -> (per-channel offset added back to get 0..255, scale, whether the channels are BGR).
# caffe: keras.applications.vgg16.preprocess_input; efficientnet_lite: course_utils.efficientnet.preprocess_input.
INPUT_SPACES = {"caffe": (IMAGENET_MEAN_BGR, 1.0, True), "efficientnet_lite": (np.full(3, 127.0), 128.0, False)}
# The 13 conv layers of keras.applications.VGG16, in order (to validate names without building a model).
VGG16_CONV_LAYERS = tuple(f"block{b}_conv{i}" for b, n in zip(range(1, 6), (2, 2, 3, 3, 3)) for i in range(1, n + 1))


def bfloat16_is_fast() -> bool:
    """True on CPUs with bfloat16 matrix instructions (AVX512_BF16 or AMX_BF16), read from /proc/cpuinfo."""
    import re

    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", flags) is not None


def _in_bfloat16(feature_model):
    """A copy of `feature_model` whose layers compute in bfloat16 (mixed_bfloat16), with the same weights."""
    import keras

    def clone(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "mixed_bfloat16"})

    copy = keras.models.clone_model(feature_model, clone_function=clone)
    copy.set_weights(feature_model.get_weights())
    return copy


def conv_layer_names(model) -> list[str]:
    """Names of the Conv2D layers of `model`, in order."""
    import keras

    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def check_layer_name(model, layer_name: str) -> None:
    """ValueError listing the valid conv layer names if `layer_name` is not one of them."""
    names = conv_layer_names(model)
    if layer_name not in names:
        raise ValueError(f"layer_name {layer_name!r} is not a conv layer of {model.name}; valid: {', '.join(names)}")


def conv_flops(model, layer_name: str, image_size: int) -> dict:
    """Forward FLOPs per image of every conv layer up to and including `layer_name`, by formula.

    A k x k conv from C_in to C_out channels with an H x W output does H*W*C_out dot products of
    length k*k*C_in, i.e. 2*H*W*k*k*C_in*C_out FLOPs (a multiply and an add each); biases, ReLU and
    pooling are left out (they are a fraction of a percent). Returns {layer name: FLOPs}.
    Assumes VGG16's layout: stride-1 'same' convolutions, so only the pooling layers change H x W.
    """
    import keras

    check_layer_name(model, layer_name)
    size, flops = image_size, {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.MaxPooling2D):
            size //= layer.pool_size[0]
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw = layer.kernel_size
            c_in = layer.kernel.shape[2]
            flops[layer.name] = 2 * size * size * kh * kw * c_in * layer.filters
            if layer.name == layer_name:
                break
    return flops


def check_space(space: str) -> None:
    """ValueError naming the allowed input spaces if `space` is not one of them."""
    if space not in INPUT_SPACES:
        raise ValueError(f"input_space must be one of {', '.join(INPUT_SPACES)}; got {space!r}")


def start_image(image_size: int, seed: int = 0, noise: float = 10.0, space: str = "caffe") -> np.ndarray:
    """A grey RGB image (128) with uniform noise of +-`noise` grey levels, in the model's input space (H, W, 3):
    "caffe" (VGG16, the default) or "efficientnet_lite" (see INPUT_SPACES)."""
    check_space(space)
    offset, scale, bgr = INPUT_SPACES[space]
    rng = np.random.default_rng(seed)
    rgb = 128.0 + rng.uniform(-noise, noise, size=(image_size, image_size, 3))
    return (((rgb[..., ::-1] if bgr else rgb) - offset) / scale).astype(np.float32)


def deprocess(images, contrast: float = 0.15, space: str = "caffe") -> np.ndarray:
    """Input-space images ("caffe": VGG16, or "efficientnet_lite") -> displayable RGB uint8, one image (H, W, 3)
    or a batch.

    First undo the preprocessing (for caffe: add the ImageNet mean back, BGR -> RGB), then the classic
    recipe: centre each image on its mean, divide by its standard deviation, scale by `contrast`,
    shift to 0.5 and clip to [0, 1]. One mean and one standard deviation per image (not per channel)
    keep its colours; the same rule for every image makes faint and strong patterns equally visible.
    """
    check_space(space)
    offset, scale, bgr = INPUT_SPACES[space]
    x = np.asarray(images, dtype=np.float64) * scale + offset
    x = x[..., ::-1] if bgr else x
    axes = tuple(range(x.ndim - 3, x.ndim))
    x = x - x.mean(axis=axes, keepdims=True)
    x = x / (x.std(axis=axes, keepdims=True) + 1e-5)
    x = np.clip(0.5 + contrast * x, 0.0, 1.0)
    return np.round(x * 255).astype(np.uint8)


def stitch(images, ncols: int = 8, margin: int = 4, background: int = 255) -> np.ndarray:
    """One uint8 image holding `images` (N, H, W, 3) in a grid of `ncols` columns with `margin` pixels between."""
    images = np.asarray(images)
    n, h, w, c = images.shape
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    grid = np.full((nrows * h + (nrows - 1) * margin, ncols * w + (ncols - 1) * margin, c), background, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, ncols)
        grid[r * (h + margin) : r * (h + margin) + h, col * (w + margin) : col * (w + margin) + w] = image
    return grid


def save_png(image, path) -> Path:
    """Write a uint8 image to `path` as PNG, creating the folder; returns the path."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(path)
    return path


def short(value: float) -> str:
    """An activation for a tile title: no decimals from 10 on, two significant digits below."""
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.2g}"


def draw_tiles(axes, result) -> None:
    """Draw the images of `result` on `axes` (an iterable of matplotlib axes), one per filter, each titled with
    its filter index and its mean activation before -> after; every axis is left without its frame."""
    axes = list(axes)
    for ax in axes:
        ax.set_axis_off()
    for ax, tile, k, b, a in zip(axes, result.uint8(), result.filters, result.before, result.after):
        ax.imshow(tile)
        ax.set_title(f"filter {k}\n{short(b)} \u2192 {short(a)}", fontsize=9)


def save_grid(result, path, title: str, ncols: int = 8) -> Path:
    """Save the images of `result` (a FilterVisualization) as a labelled PNG grid, `ncols` tiles per row.

    The figure carries `title` (say the weights, layer and settings); each tile is titled with its filter
    index and its mean activation before -> after the ascent. Written next to `path` first and then
    renamed, so an interrupted save leaves no half-written file. Returns the path.
    """
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, len(result.filters)))
    nrows = -(-len(result.filters) // ncols)
    fig = Figure(figsize=(1.7 * ncols, 1.95 * nrows + 0.6), dpi=100)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    draw_tiles(axes.flat, result)
    fig.suptitle(f"{title}\n(above each image: filter index, mean activation before \u2192 after)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial.png")
    fig.savefig(partial)
    partial.replace(path)
    return path


def check_climbed(result, strict: bool = True) -> None:
    """Check that the ascent raised the activation of every filter of `result` that was live at the start.

    If some did not, the message names each with its activation before and after and the likely reason;
    `strict` raises AssertionError with it, otherwise it is printed and the notebook goes on (an instructor's
    render with other layers or sizes should show the pictures and say which filters did not climb).
    """
    live = ~result.dead
    stuck = np.flatnonzero(live & (result.after <= result.before))
    if stuck.size == 0:
        return
    rule = result.options.get("adaptive", False)
    judged_elsewhere = result.options.get("precision") == "bfloat16" or result.options.get("jitter", 0) > 0
    parts = []
    for i in stuck:
        before, after = result.before[i], result.after[i]
        if after == before:
            why = "no step was kept: each lowered the activation, even when halved"
        elif not rule:
            why = "the fixed step overshot (try adaptive=True or a smaller step_size)"
        elif judged_elsewhere:
            why = "steps judged in bfloat16 or on a shifted image lowered it on the image itself"
        else:
            why = "the activation fell"
        parts.append(f"filter {result.filters[i]} ({before:.3g} -> {after:.3g}: {why})")
    message = f"{result.layer_name}: {len(parts)} live filter(s) did not climb: " + "; ".join(parts)
    if strict:
        raise AssertionError(message)
    print(message)


def describe_options(
    adaptive: bool = False, blur: float = 0.0, jitter: int = 0, precision: str = "float32", momentum: float = 0.0
) -> str:
    """The ascent's options in words, for titles: e.g. 'adaptive step, blur 1 px, bfloat16'."""
    words = ["adaptive step" if adaptive else "fixed step"]
    if momentum:
        words.append(f"momentum {momentum:g}")
    if blur:
        words.append(f"blur {blur:g} px")
    if jitter:
        words.append(f"jitter {jitter} px")
    return ", ".join([*words, precision])


@dataclass
class FilterVisualization:
    """Result of `FilterVisualizer.visualize`, one entry per filter (history has one row per step)."""

    layer_name: str
    filters: np.ndarray  # (N,) filter indices
    images: np.ndarray  # (N, H, W, 3) final images in VGG16's input space (float32)
    history: np.ndarray  # (steps + 1, N) mean activation before each step, and after the last one
    start_grad_rms: np.ndarray  # (N,) root-mean-square of the gradient at the start, before normalizing
    options: dict = field(default_factory=dict)  # adaptive, blur, jitter, precision (as resolved)

    @property
    def before(self) -> np.ndarray:
        return self.history[0]

    @property
    def after(self) -> np.ndarray:
        return self.history[-1]

    @property
    def dead(self) -> np.ndarray:
        """Filters with zero activation and zero gradient at the start: the ascent cannot move them."""
        return (self.before == 0) & (self.start_grad_rms == 0)

    def uint8(self, contrast: float = 0.15) -> np.ndarray:
        """The final images as displayable RGB uint8 (see `deprocess`)."""
        return deprocess(self.images, contrast, self.options.get("input_space", "caffe"))


class FilterVisualizer:
    """Gradient ascent on the input image for filters (channels) of one layer of `model`.

    `model` takes images in `input_space` ("caffe" for VGG16, "efficientnet_lite" for
    course_utils.efficientnet); it is truncated at `layer_name`, a Conv2D layer, or with `conv_only=False`
    any layer with an (N, h, w, C) output (channel maps) or an (N, C) output (e.g. class logits: the
    loss is then the logit itself). The ascent is one tf.function with a fixed input signature, so it
    is traced once per (layer, image size) and reused for every filter and batch (`trace_count` counts
    the traces). `fast_head` computes only each image's own filter in a Conv2D target layer (see the
    module docstring); the numbers are the same.
    `momentum` (0 to below 1; 0, the default, is the plain rule) steps along the running sum of normalized
    gradients (see the module docstring); notebook 12's fast settings are adaptive=True, momentum=0.9, 12 steps.
    """

    def __init__(
        self,
        model,
        layer_name: str,
        image_size: int = 64,
        border: int = 2,
        jit_compile: bool = False,
        precision: str = "float32",
        adaptive: bool = False,
        jitter: int = 0,
        blur: float = 0.0,
        fast_head: bool = True,
        input_space: str = "caffe",
        conv_only: bool = True,
        momentum: float = 0.0,
    ):
        import keras
        import tensorflow as tf

        check_space(input_space)
        for name, value in (("fast_head", fast_head), ("conv_only", conv_only), ("adaptive", adaptive)):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be True or False, got {value!r}")
        self.input_space = input_space
        self._grey = 1.0 / INPUT_SPACES[input_space][1]  # one grey level in input units

        if precision not in ("float32", "bfloat16", "auto"):
            raise ValueError(f"precision must be one of float32, bfloat16, auto; got {precision!r}")
        self.precision = ("bfloat16" if bfloat16_is_fast() else "float32") if precision == "auto" else precision
        self.adaptive = adaptive
        if not isinstance(jitter, int) or isinstance(jitter, bool) or not 0 <= jitter <= image_size // 4:
            raise ValueError(f"jitter must be an int from 0 to image_size // 4 = {image_size // 4}, got {jitter!r}")
        if not 0 <= blur <= 4:
            raise ValueError(f"blur must be a number of pixels from 0 to 4, got {blur!r}")
        self.jitter, self.blur = jitter, float(blur)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum < 1:
            raise ValueError(f"momentum must be a number from 0 (none) to below 1, got {momentum!r}")
        self.momentum = float(momentum)

        if conv_only:
            check_layer_name(model, layer_name)
        elif layer_name not in [layer.name for layer in model.layers]:
            raise ValueError(f"layer_name {layer_name!r} is not a layer of {model.name}")
        if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 16:
            raise ValueError(f"image_size must be an int >= 16, got {image_size!r}")
        self.layer_name, self.image_size, self._model = layer_name, image_size, model
        layer = model.get_layer(layer_name)
        self.feature_model = keras.Model(model.input, layer.output, name=f"{model.name}_to_{layer_name}")
        out_shape = tuple(self.feature_model.compute_output_shape((1, image_size, image_size, 3)))
        if len(out_shape) not in (2, 4):
            raise ValueError(f"layer {layer_name!r} has output shape {out_shape}; allowed: (N, h, w, C) or (N, C)")
        self.n_filters = int(out_shape[-1])
        # The fast head: the network up to the input of a Conv2D target layer, the layer itself applied per filter.
        self._head_layer = None
        plain_conv = type(layer) is keras.layers.Conv2D and layer.data_format == "channels_last" and layer.groups == 1
        if fast_head and plain_conv:
            self._head_layer, source = layer, layer.input
            self._trunk = None if source is model.input else keras.Model(model.input, source, name=f"to_{layer_name}")
        compute = self._trunk if self._head_layer is not None else self.feature_model
        self._compute_model = _in_bfloat16(compute) if self.precision == "bfloat16" and compute is not None else compute
        if len(out_shape) == 2:  # one value per channel: no map, no border
            self.border, self._interior = 0, None
        else:
            fmap = out_shape[1]
            self.border = max(0, min(border, (fmap - 1) // 2))  # small maps keep at least their centre
            interior = np.zeros((1, fmap, fmap), np.float32)
            interior[:, self.border : fmap - self.border, self.border : fmap - self.border] = 1.0
            self._interior = tf.constant(interior)
        self.trace_count = 0
        signature = [
            tf.TensorSpec((None, image_size, image_size, 3), tf.float32),  # images, one per filter
            tf.TensorSpec((None,), tf.int32),  # the filter index of each image
            tf.TensorSpec((), tf.int32),  # steps
            tf.TensorSpec((), tf.float32),  # step size
            tf.TensorSpec((None,), tf.float32),  # target activation of each image: stop once all are reached
        ]
        self._ascend = tf.function(self._ascend_py, input_signature=signature, jit_compile=jit_compile)

    def forward_flops(self, batch_size: int = 1) -> int:
        """Forward FLOPs per image inside the ascent, for calls of `batch_size` filters (VGG16 layout):
        with fast_head the target layer computes batch_size of its filters, not all. An ascent of S steps does S + 1
        forward passes (the start image, then each step's candidate) and S backward passes to the image (the last
        candidate is only kept or undone), and a backward pass has the forward's multiply-adds (every conv layer's
        input gradient is a transposed conv; no weight gradients are computed): (2 S + 1) * forward_flops in all."""
        per_layer = conv_flops(self._model, self.layer_name, self.image_size)
        if self.fast_head:
            per_layer[self.layer_name] = per_layer[self.layer_name] * min(batch_size, self.n_filters) // self.n_filters
        return sum(per_layer.values())

    @property
    def fast_head(self) -> bool:
        """Whether the ascent computes only each image's own filter of the target layer."""
        return self._head_layer is not None

    @property
    def options(self) -> dict:
        return {"adaptive": self.adaptive, "blur": self.blur, "jitter": self.jitter, "precision": self.precision,
                "input_space": self.input_space} | ({"momentum": self.momentum} if self.momentum else {})  # fmt: skip

    def describe(self) -> str:
        """The options of this ascent in words, e.g. 'adaptive step, blur 1 px, bfloat16'."""
        return describe_options(self.adaptive, self.blur, self.jitter, self.precision, self.momentum)

    def _own_maps(self, images, filters):
        """Per image i: the map of filter filters[i] of the target Conv2D layer, computed with those filters' kernels
        alone (N output channels for a batch of N instead of all of them), then diagonal: (N, h, w)."""
        import tensorflow as tf

        layer = self._head_layer
        x = images if self._trunk is None else self._compute_model(images, training=False)
        x = tf.cast(x, tf.float32)
        kernel = tf.gather(tf.convert_to_tensor(layer.kernel), filters, axis=3)  # (kh, kw, C_in, N)
        maps = tf.nn.conv2d(
            x, kernel, strides=layer.strides, padding=layer.padding.upper(), dilations=layer.dilation_rate
        )  # (N, h, w, N); fmt: skip
        own = tf.einsum("nhwm,nm->nhw", maps, tf.eye(tf.shape(filters)[0]))  # image i keeps its own filter
        if layer.use_bias:
            own = own + tf.gather(tf.convert_to_tensor(layer.bias), filters)[:, None, None]
        return layer.activation(own)

    def _loss(self, images, filters, network=None):
        """Per image: the mean activation of its own filter over the feature map, border excluded (for an (N, C)
        layer: its own channel's value). With `network` given, on that model's full output."""
        import tensorflow as tf

        if network is None and self._head_layer is not None:
            own = self._own_maps(images, filters)
        else:
            network = self._compute_model if network is None else network
            act = tf.cast(network(images, training=False), tf.float32)  # (N, h, w, C) or (N, C)
            if self._interior is None:
                return tf.reduce_sum(act * tf.one_hot(filters, self.n_filters), axis=1)
            own = tf.einsum("nhwc,nc->nhw", act, tf.one_hot(filters, self.n_filters))  # image i keeps filter i
        # A 0/1 mask instead of slicing the border off: same value, cheaper backward pass on CPU.
        return tf.reduce_sum(own * self._interior, axis=[1, 2]) / tf.reduce_sum(self._interior)

    def _value_and_direction(self, images, filters, shift=None):
        """Each image's loss, its gradient normalized to unit rms, and that rms (per image).

        With `shift` (2,) the loss is that of the images rolled by (dy, dx) pixels (jitter); the gradient
        is taken through the roll, so it is still a gradient with respect to the unshifted images. With
        `self.blur` the gradient is smoothed by a Gaussian of that standard deviation before normalizing.
        """
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = self._loss(self._seen(images, shift), filters)
            total = tf.reduce_sum(loss)  # image i only affects loss i: the gradient stays per image
        grads = tape.gradient(total, images)
        if self.blur > 0:
            grads = self._smooth(grads)
        rms = tf.sqrt(tf.reduce_mean(tf.square(grads), axis=[1, 2, 3]))
        return loss, grads / (rms[:, None, None, None] + 1e-8), rms

    @staticmethod
    def _seen(images, shift):
        """The images as the network sees them at a step: rolled by `shift` (dy, dx) with jitter, else as they are."""
        import tensorflow as tf

        return images if shift is None else tf.roll(images, shift, axis=[1, 2])

    def _half_blur(self, images):
        """One pass of a separable Gaussian of standard deviation blur / sqrt(2) per channel (zero padding)."""
        import tensorflow as tf

        width = self.blur / np.sqrt(2)
        radius = int(np.ceil(3 * width))
        taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / width) ** 2)
        taps = (taps / taps.sum()).astype(np.float32)
        rows = tf.constant(np.tile(taps[:, None, None, None], (1, 1, 3, 1)))  # (k, 1, 3, 1): vertical pass
        cols = tf.constant(np.tile(taps[None, :, None, None], (1, 1, 3, 1)))  # (1, k, 3, 1): horizontal pass
        images = tf.nn.depthwise_conv2d(images, rows, [1, 1, 1, 1], "SAME")
        return tf.nn.depthwise_conv2d(images, cols, [1, 1, 1, 1], "SAME")

    def _smooth(self, grads):
        """Gaussian blur of standard deviation self.blur pixels of each channel of `grads` (N, H, W, 3).

        Two passes of a Gaussian of width blur / sqrt(2) (two Gaussians in a row make one of width blur).
        Each pass K is a symmetric matrix, so for any gradient g the blurred g'= K K g has g . g' = |K g|^2
        >= 0: the blurred step still goes uphill, also at the image's edges, where the padding cuts the kernel.
        """
        return self._half_blur(self._half_blur(grads))

    def _shift(self, i):
        """The jitter of step i: a (dy, dx) from -jitter..jitter, the same for every call (stateless)."""
        import tensorflow as tf

        if self.jitter == 0:
            return None
        return tf.random.stateless_uniform((2,), seed=tf.stack([i, 12]), minval=-self.jitter,
                                           maxval=self.jitter + 1, dtype=tf.int32)  # fmt: skip

    def _ascend_py(self, images, filters, steps, step_size, targets):
        import tensorflow as tf

        self.trace_count += 1  # a Python side effect: runs while tracing, not on later calls
        history = tf.TensorArray(tf.float32, size=steps + 1)
        # One place evaluates the network with its gradient, so the traced graph holds one forward and backward pass
        # (tracing two copies, one before the loop, cost about as much again), and one forward pass alone for the
        # last candidate. Evaluation 0 is the start image itself (the step `move` is 0, and a loss of -inf accepts
        # it); evaluation i >= 1 is the candidate of step i.
        loss = tf.fill(tf.shape(filters), -np.inf)
        direction = velocity = move = tf.zeros_like(images)
        grad_rms0 = tf.zeros(tf.shape(filters))
        eta = tf.fill(tf.shape(filters), step_size)  # the step of each image (fixed unless adaptive)
        taken = tf.constant(0)
        failed = tf.zeros(tf.shape(filters), dtype=tf.bool)  # has a step of this image been undone yet?
        for i in tf.range(steps + 1):  # a tf.while_loop: all steps in one call
            if i > 0:
                history = history.write(i - 1, loss)
                if tf.reduce_all(loss >= targets):  # every image reached its target activation: stop early
                    break
                taken = i
            first = tf.equal(i, 0)
            candidate = images + eta[:, None, None, None] * move
            if tf.equal(i, steps):  # the last candidate needs only its activation, to keep or undo it: no backward
                new_loss = self._loss(self._seen(candidate, self._shift(i)), filters)
                new_direction, rms = tf.zeros_like(images), tf.zeros(tf.shape(filters))
            else:
                new_loss, new_direction, rms = self._value_and_direction(candidate, filters, self._shift(i))
            grad_rms0 = tf.where(first, rms, grad_rms0)
            if self.adaptive:  # keep a step only if it did not lower the activation; else retry it halved
                accept = new_loss >= loss
                failed = failed | (~accept & ~first)
                after = ADAPTIVE_GROWTH_AFTER_MOMENTUM if self.momentum else ADAPTIVE_GROWTH_AFTER
                grow = tf.where(failed, eta * after, eta * ADAPTIVE_GROWTH)
                eta = tf.where(first, eta, tf.where(accept, tf.minimum(grow, step_size * ADAPTIVE_MAX), eta * 0.5))
            else:
                accept = tf.ones_like(new_loss, dtype=tf.bool)
            images = tf.where(accept[:, None, None, None], candidate, images)
            direction = tf.where(accept[:, None, None, None], new_direction, direction)
            loss = tf.where(accept, new_loss, loss)
            if self.momentum:  # heavy ball on the normalized gradients; an undone step restarts from the gradient
                velocity = tf.where(accept[:, None, None, None], self.momentum * velocity + new_direction, direction)
                rms_v = tf.sqrt(tf.reduce_mean(tf.square(velocity), axis=[1, 2, 3]))[:, None, None, None]
                move = tf.where(first, direction, velocity / (rms_v + 1e-8))  # the first step: the gradient itself
            else:
                move = direction
        for j in tf.range(taken, steps + 1):  # after an early stop the activation stays where it is
            history = history.write(j, loss)
        return images, history.stack(), grad_rms0, taken

    def ascend(self, images, filter_indices, steps: int, step_size: float = 2.0, targets=None):
        """Up to `steps` ascent steps from `images` (N, H, W, 3), image i for filter filter_indices[i];
        with `targets` (N,), stop as soon as every image's activation has reached its target.

        Returns (final images, history (steps + 1, N), rms of the first gradient (N,), steps taken) as
        NumPy values; after an early stop the history repeats the last activation. In bfloat16 or with
        jitter the first and last rows of the history are measured again, in float32 on the unshifted
        images, like `activations`.
        """
        import tensorflow as tf

        images = np.asarray(images, dtype=np.float32)
        filters = np.asarray(filter_indices, dtype=np.int32).reshape(-1)
        goal = np.full(len(filters), np.inf, np.float32) if targets is None else np.asarray(targets, np.float32)
        out = self._ascend(tf.constant(images), tf.constant(filters), tf.constant(steps, tf.int32),
                           tf.constant(step_size * self._grey, tf.float32), tf.constant(goal))  # fmt: skip
        final, history, rms0, taken = (value.numpy() for value in out)
        if self.precision != "float32" or self.jitter:  # before and after as every activation we report
            history[0], history[-1] = self.activations(images, filters), self.activations(final, filters)
        return final, history, rms0, int(taken)

    def activations(self, images, filter_indices) -> np.ndarray:
        """Float32 mean activation (border excluded) of filter filter_indices[i] on image i, whatever the precision."""
        import tensorflow as tf

        images = tf.constant(np.asarray(images, dtype=np.float32))
        filters = tf.constant(np.asarray(filter_indices, dtype=np.int32).reshape(-1))
        return self._loss(images, filters, network=self.feature_model).numpy()

    def start_activations(self, seed: int = 0) -> np.ndarray:
        """Mean activation (border excluded) of every filter of the layer on the start image of `seed`.

        One forward pass; a filter with 0 here is dead at the start (its gradient is 0 as well).
        """
        act = self.feature_model(start_image(self.image_size, seed, space=self.input_space)[None], training=False)
        act = act.numpy()[0]
        if self._interior is None:
            return act
        interior = self._interior.numpy()[0, :, :, None]
        return (act * interior).sum(axis=(0, 1)) / interior.sum()

    def visualize(
        self,
        filter_indices,
        steps: int = 30,
        step_size: float = 2.0,
        seed: int = 0,
        batch_size: int = 16,
        progress: bool = True,
    ) -> FilterVisualization:
        """`steps` ascent steps for each filter in `filter_indices`, `batch_size` filters per call.

        Every filter starts from the same noisy grey image (`start_image(image_size, seed)`);
        `step_size` is the root-mean-square change of a pixel per step, in grey levels (of 0..255, whatever
        the input space).
        """

        from .progress import progress as show_progress

        filters = np.asarray(filter_indices, dtype=np.int32).reshape(-1)
        bad = filters[(filters < 0) | (filters >= self.n_filters)]
        if filters.size == 0 or bad.size:
            raise ValueError(
                f"filter_indices must be 1 or more of 0..{self.n_filters - 1} for {self.layer_name}, "
                f"got {bad.tolist() if bad.size else 'none'}"
            )
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
            raise ValueError(f"steps must be a positive int, got {steps!r}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        start = start_image(self.image_size, seed, space=self.input_space)
        images, histories, rms0 = [], [], []
        batches = range(0, len(filters), batch_size)
        for lo in show_progress(batches, desc=self.layer_name, unit="batch", disable=not progress):
            chunk = filters[lo : lo + batch_size]
            out = self.ascend(np.repeat(start[None], len(chunk), axis=0), chunk, steps, step_size)[:3]
            for acc, value in zip((images, histories, rms0), out):
                acc.append(value)
        return FilterVisualization(
            self.layer_name,
            filters,
            np.concatenate(images),
            np.concatenate(histories, axis=1),
            np.concatenate(rms0),
            self.options,
        )
