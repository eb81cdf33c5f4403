"""Typical mistakes in the exercises of notebook 11 (joined to test_exercises.MISTAKES)."""

from keras import layers


def _block(x, filters, stride=1, name="block", relu_out=True, relu_branch=False, project="when needed",
           stride_at=1, bias=False):
    # a residual block with one thing changed, named as the exercise asks
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride if stride_at == 1 else 1, padding="same", use_bias=bias,
                      name=f"{name}_conv1")(x)
    y = layers.ReLU()(layers.BatchNormalization(name=f"{name}_bn1")(y))
    y = layers.Conv2D(filters, 3, strides=stride if stride_at == 2 else 1, padding="same", use_bias=bias,
                      name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if relu_branch:
        y = layers.ReLU()(y)
    needed = stride != 1 or x.shape[-1] != filters
    if project == "always" or (project == "when needed" and needed):
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    out = layers.Add()([shortcut, y])
    return layers.ReLU()(out) if relu_out else out


MISTAKES = {
    "11.residual_block": [
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, relu_out=False),  # no ReLU after the sum
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, relu_branch=True),  # ReLU before the sum
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, project="never"),  # shapes cannot be added
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, project="always"),  # projects identity too
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, stride_at=2),  # strides in the second conv
        lambda x, f, stride=1, name="block": _block(x, f, stride, name, bias=True),  # biases before BatchNorm
    ],
}
