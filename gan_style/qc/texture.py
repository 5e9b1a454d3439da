"""Exemplar detail transfer: put real texture from the valid surroundings into a smooth fill.

A fill that minimises squared error (the repair U-Net's, Laplace, biharmonic) is the mean of
what could be in the hole: a smooth blob, which in gravel, fur or skin is itself an artifact
(and the quality regressor flags it). Texture synthesis by example (Efros & Leung 1999;
Criminisi et al. 2004) copies it from elsewhere in the same image instead. Here, per cell of
`cell` x `cell` pixels that holds hole pixels:

    L = G_sigma * y,  D = y - L                  y: the fill (the input outside the hole)
    s* = argmin_s  sum_{p in cell + margin} (1 - m_p) |y_p - y_{p-s}|^2 + m_p |L_p - L_{p-s}|^2
    a* = sum_q D_q . D_{q-s*} / sum_q |D_{q-s*}|^2    q: the cell and its neighbours, q and q - s* known
    out_p = y_p + m_p * clip(a*, floor, 1) * D_{p-s*}    over shifts s of at most `radius` pixels

The cost runs over the cell and `margin` pixels around it (one cell by default, so a cell deep
inside a hole still reaches known pixels and neighbouring cells agree). It compares the known
pixels there with those around the source (the copy continues the structure that meets the
hole) and, inside the hole, the fill's low frequencies with the source's (the copy keeps the
fill's shading and colour). Only the detail D is copied, onto the fill: where the surroundings
are smooth, D is near zero and the fill is kept. A source must be wholly valid (no hole pixel,
inside the image) under every hole pixel of the cell; a cell with none keeps the fill. Pixels
outside the hole are returned bit for bit. The search runs per image on the box of whole cells
around its holes that it can read (margin, shifts, blur), so its cost grows with the hole, not
with the picture; past the image border a source reads the nearest edge pixel.

The copy's amplitude a* is its least-squares gain on the known pixels around the cell, where the
truth is at hand: near 1 where the texture repeats (the copy predicts what is there), near 0 where
it is random (grain, foliage: copied detail is not the detail that was there, and the smooth mean
errs least). It is kept in [`floor`, 1], so random texture still gets half its contrast: a smooth
blob in texture is an artifact of its own, which the regressor flags.

Only the parts of the hole that a (2 `thin` + 1)-px square fits in take detail (`textured_part`): a
dead pixel or a thin scratch keeps the smooth fill, a block gets detail up to its edge.

A period-8 texture with a 24-pixel hole comes back at 39.1 dB inside it (a flat fill: 17.7 dB;
a 4-pixel margin: 18.6).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

# parts of a hole under 5 px across (a dead pixel, a scratch) keep the smooth fill: there it is
# close to what was there and copied detail only adds error. On whole validation pictures with the
# simulator's kinds (true masks, box PSNR capped at 60 dB, the shipped U-Net's fill): the detail's cost
# 0.72 -> 0.32 dB at 256 px and 0.72 -> 0.20 at 512; dead pixels 30.9 -> 35.2 and 36.0 -> 41.6 dB,
# the fill's own value (experiments/README.md, "biharmonic fill"); blocks keep all their detail
THIN = 2
# the least amplitude of copied detail. Whole validation pictures, simulator kinds (256 / 512 px):
# through the pipeline, fix rate and box gain with floor 1 (the full copy) 86.6% / 71.0%, +1.31 /
# +3.79 dB; 1/2: 83.6% / 87.1%, +1.74 / +4.13 dB; 1/4: 73.1% / 87.1%, +1.90 / +4.24 dB. 1/2 has the
# largest gain of the floors whose fix rate stays within 5 points of the full copy's at both sizes
# (experiments/README.md, "amplitude of the copied detail")
FLOOR = 0.5


def _blur_radius(sigma: float) -> int:
    return max(1, int(round(3 * sigma)))


def _gaussian_blur(x, sigma: float):
    """Separable Gaussian blur of x (B, H, W, C), reflected borders; radius 3 sigma."""
    radius = _blur_radius(sigma)
    taps = np.exp(-np.arange(-radius, radius + 1) ** 2 / (2.0 * sigma**2))
    taps = tf.constant(taps / taps.sum(), tf.float32)
    channels = x.shape[-1]
    along_x = tf.tile(taps[None, :, None, None], [1, 1, channels, 1])
    along_y = tf.tile(taps[:, None, None, None], [1, 1, channels, 1])
    x = tf.pad(x, [[0, 0], [radius, radius], [radius, radius], [0, 0]], "SYMMETRIC")
    x = tf.nn.depthwise_conv2d(x, along_x, [1, 1, 1, 1], "VALID")
    return tf.nn.depthwise_conv2d(x, along_y, [1, 1, 1, 1], "VALID")


def shift_table(radius: int, step: int, cell: int) -> np.ndarray:
    """Candidate source offsets (N, 2) int32: a grid of `step` within `radius` pixels (Chebyshev),
    leaving out those under half a cell, which would copy from the cell itself."""
    if radius < cell // 2 or step < 1:
        raise ValueError(f"need radius >= cell / 2 and step >= 1, got radius {radius}, step {step}, cell {cell}")
    grid = np.arange(-(radius // step) * step, radius + 1, step)
    shifts = np.array([(dy, dx) for dy in grid for dx in grid if max(abs(dy), abs(dx)) >= cell // 2], np.int32)
    return shifts


def transfer_detail(filled, masks, cell: int = 8, radius: int = 24, step: int = 4, sigma: float = 2.0,
                    margin: int | None = None, thin: int = THIN, floor: float = FLOOR):
    """filled (B, H, W, C) float32 in [-1, 1], C known when traced (a fill, equal to the image outside the hole), masks
    (B, H, W, 1) in {0, 1} (1 = hole) -> (B, H, W, C) in [-1, 1]: the fill plus detail copied
    from the best-matching valid source of each cell, at the copy's amplitude on the known pixels
    around, at least `floor` (module docstring; `floor` 1: the full copy). Any H, W; graph-small
    (one `tf.while_loop` over the shift table), so it traces once inside a `tf.function`.

    Each image is searched only in the box around its hole cells that the search can read (cost
    windows, sources and their blur: `context` pixels, whole cells), so the cost follows the hole,
    not the picture; an image with no hole comes back as it is. Where those boxes cover half the
    batch or more, one batched search over the whole images is faster, and gives the same pixels."""
    margin = cell if margin is None else margin  # each cell matched with the cells around it
    table = shift_table(radius, step, cell)
    reach = int(np.abs(table).max())
    context = -(-(margin + reach + _blur_radius(sigma)) // cell) * cell
    filled, masks = tf.cast(filled, tf.float32), tf.cast(masks, tf.float32)
    first, last = _hole_boxes(masks[..., 0] > 0, cell, context)

    def one(args):  # (H, W, C), (H, W, 1), box corners (2,) -> (H, W, C)
        image, mask, top_left, bottom_right = args
        size = tf.shape(image)[:2]

        def search_box():
            box = (image[top_left[0] : bottom_right[0], top_left[1] : bottom_right[1]],
                   mask[top_left[0] : bottom_right[0], top_left[1] : bottom_right[1]])
            out = _search(box[0][None], box[1][None], table, cell, margin, sigma, thin, floor)[0]
            around = [[top_left[0], size[0] - bottom_right[0]], [top_left[1], size[1] - bottom_right[1]], [0, 0]]
            return tf.where(mask > 0, tf.pad(out, around), image)

        return tf.cond(tf.reduce_any(bottom_right > top_left), search_box, lambda: image)

    def per_image():
        spec = tf.TensorSpec((None, None, filled.shape[-1]), tf.float32)
        return tf.map_fn(one, (filled, masks, first, last), fn_output_signature=spec)

    # boxes covering most of the batch (many scattered holes) are searched as one batch instead
    boxed = tf.reduce_sum(tf.reduce_prod(last - first, axis=1))
    return tf.cond(2 * boxed < tf.size(masks), per_image,
                   lambda: _search(filled, masks, table, cell, margin, sigma, thin, floor))


def _hole_boxes(hole, cell: int, context: int):
    """hole (B, H, W) bool -> (top-left, bottom-right) (B, 2) int32 each: the cells holding hole
    pixels, grown by `context` (a multiple of `cell`) and clipped to the image; (0, 0), (0, 0)
    for an image without a hole."""
    size = tf.shape(hole)[1:3]

    def span(any_along, n):  # first and last index where any_along (B, n) is set
        flags = tf.cast(any_along, tf.int32)
        return (tf.argmax(flags, 1, output_type=tf.int32),
                n - 1 - tf.argmax(flags[:, ::-1], 1, output_type=tf.int32))

    rows, cols = tf.reduce_any(hole, axis=2), tf.reduce_any(hole, axis=1)
    (top, bottom), (left, right) = span(rows, size[0]), span(cols, size[1])
    first = tf.maximum(tf.stack([top, left], 1) // cell * cell - context, 0)
    last = tf.minimum((tf.stack([bottom, right], 1) // cell + 1) * cell + context, size)
    has = tf.reduce_any(rows, axis=1)[:, None]
    return tf.where(has, first, 0), tf.where(has, last, 0)


def textured_part(masks, thin: int):
    """masks (B, H, W, 1) in {0, 1} -> (B, H, W, 1) in {0, 1}: the hole pixels that take detail, the
    morphological opening of the hole by a (2 `thin` + 1)-px square (every part of it that such a
    square fits in; past the image border counts as hole); the whole hole for `thin` = 0."""
    eroded = masks
    for _ in range(thin):
        eroded = -tf.nn.max_pool2d(-eroded, 3, 1, "SAME")  # pads are ignored: the border is no valid pixel
    return masks * tf.nn.max_pool2d(eroded, 2 * thin + 1, 1, "SAME") if thin else masks


def _search(filled, masks, table: np.ndarray, cell: int, margin: int, sigma: float, thin: int = THIN,
            floor: float = FLOOR):
    """`transfer_detail`'s search on (B, H, W, C): one image's box, or whole images, the cell grid
    aligned with the image's. A source pixel off the box reads the nearest edge pixel (and is
    never valid to copy from)."""
    low = _gaussian_blur(filled, sigma)
    detail = filled - low
    valid = 1.0 - masks
    shape = tf.shape(filled)
    height, width = shape[1], shape[2]
    cells_h, cells_w = (height + cell - 1) // cell, (width + cell - 1) // cell
    pad_h, pad_w = cells_h * cell - height, cells_w * cell - width

    def per_cell_mean(error):  # (B, H, W, 1) -> mean over each cell grown by `margin`: (B, h, w, 1)
        if margin % cell:
            error = tf.pad(error, [[0, 0], [margin, pad_h + margin], [margin, pad_w + margin], [0, 0]])
            return tf.nn.avg_pool2d(error, cell + 2 * margin, cell, "VALID")
        # whole cells: the cell means, then a box of 2k + 1 cells (zeros beyond the border); the
        # same means as one (cell + 2 margin) pool, in half the time (4 x 256 px: 0.68 vs 1.44 ms)
        k = margin // cell
        means = tf.nn.avg_pool2d(tf.pad(error, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]]), cell, cell, "VALID")
        return tf.nn.avg_pool2d(tf.pad(means, [[0, 0], [k, k], [k, k], [0, 0]]), 2 * k + 1, 1, "VALID")

    def per_cell_max(values):  # (B, H, W, 1) -> max over each cell: (B, h, w, 1)
        return tf.nn.max_pool2d(tf.pad(values, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]]), cell, cell, "VALID")

    shifts = tf.constant(table)
    reach = int(np.abs(table).max())
    # every shift's sources are one slice of these: the box extended by `reach` (edge pixels
    # repeated for fill and blur, zero validity)
    along_y = tf.clip_by_value(tf.range(-reach, height + reach), 0, height - 1)
    along_x = tf.clip_by_value(tf.range(-reach, width + reach), 0, width - 1)
    extended, extended_low = (tf.gather(tf.gather(x, along_y, axis=1), along_x, axis=2) for x in (filled, low))
    extended_valid = tf.pad(valid, [[0, 0], [reach, reach], [reach, reach], [0, 0]])

    def body(i, best, chosen):
        begin = tf.concat([[0], reach - shifts[i], [0]], 0)  # source of pixel p: p - s
        window = tf.stack([-1, height, width, -1])
        source, source_low, source_valid = (tf.slice(x, begin, window)
                                            for x in (extended, extended_low, extended_valid))
        error = (valid * tf.reduce_sum(tf.square(source - filled), -1, keepdims=True)
                 + masks * tf.reduce_sum(tf.square(source_low - low), -1, keepdims=True))
        cost = tf.ensure_shape(per_cell_mean(error) + 1e9 * per_cell_max(masks * (1.0 - source_valid)), best.shape)
        chosen = tf.where(cost < best, i, chosen)
        return i + 1, tf.minimum(cost, best), chosen

    # a cell whose every source touches the hole or the border keeps cost 1e9: index -1, the fill
    best = tf.fill(tf.stack([shape[0], cells_h, cells_w, 1]), 1e8)
    _, _, chosen = tf.while_loop(lambda i, *_: i < len(table), body,
                                 (tf.constant(0), best, tf.fill(tf.shape(best), -1)))
    # one gather: each pixel's detail from p - s*, s* its cell's chosen shift
    index = _to_pixels(chosen, cell, height, width)[..., 0]  # (B, H, W)
    copied = tf.gather_nd(detail, _at_sources(index, shifts)[0])
    copied *= tf.cast(index >= 0, tf.float32)[..., None] * textured_part(masks, thin)
    if floor < 1.0:
        amplitude = _copy_amplitude(detail, valid, chosen, shifts, cell, -(-margin // cell))
        copied *= _to_pixels(tf.clip_by_value(amplitude, floor, 1.0), cell, height, width)
    return filled * valid + tf.clip_by_value(filled + copied, -1.0, 1.0) * masks


def _to_pixels(per_cell, cell: int, height, width):
    """(B, h, w, K) per cell -> (B, H, W, K) per pixel."""
    return tf.repeat(tf.repeat(per_cell, cell, axis=1), cell, axis=2)[:, :height, :width]


def _at_sources(index, shifts):
    """Each pixel p's shift, `index` (B, H, W) into `shifts` (N, 2) (-1: none) -> the gather_nd
    indices (B, H, W, 3) of its source p - s (clamped to the picture: an edge pixel), and (B, H, W, 1)
    float32, 1 where p has a shift and p - s lies in the picture."""
    shape = tf.shape(index)
    offsets = tf.gather(tf.concat([shifts, tf.zeros((1, 2), tf.int32)], 0), tf.where(index < 0, len(shifts), index))
    rows = tf.range(shape[1])[None, :, None] - offsets[..., 0]
    cols = tf.range(shape[2])[None, None, :] - offsets[..., 1]
    inside = (index >= 0) & (rows >= 0) & (rows < shape[1]) & (cols >= 0) & (cols < shape[2])
    batch = tf.broadcast_to(tf.range(shape[0])[:, None, None], shape)
    at = tf.stack([batch, tf.clip_by_value(rows, 0, shape[1] - 1), tf.clip_by_value(cols, 0, shape[2] - 1)], -1)
    return at, tf.cast(inside, tf.float32)[..., None]


def _copy_amplitude(detail, valid, chosen, shifts, cell: int, k: int):
    """The least-squares amplitude of each cell's copy on the known pixels of the cell and the `k`
    cells around it: a* = sum D_p D_{p-s} / sum D_{p-s}^2 over p, p - s both valid (s the cell's
    chosen shift; `chosen` (B, h, w, 1), -1 none) -> (B, h, w, 1); 0 where nothing is known."""
    shape = tf.shape(detail)
    height, width = shape[1], shape[2]
    cells_h, cells_w = tf.shape(chosen)[1], tf.shape(chosen)[2]
    pad_h, pad_w = cells_h * cell - height, cells_w * cell - width
    padded = tf.pad(chosen, [[0, 0], [k, k], [k, k], [0, 0]], constant_values=-1)
    sums = 0.0
    for dy in range(-k, k + 1):
        for dx in range(-k, k + 1):
            # the pixels of cell c + (dy, dx), each with the shift chosen for cell c
            owner = padded[:, k - dy : k - dy + cells_h, k - dx : k - dx + cells_w]
            at, inside = _at_sources(_to_pixels(owner, cell, height, width)[..., 0], shifts)
            both = valid * tf.gather_nd(valid, at) * inside
            source = tf.gather_nd(detail, at)
            terms = both * tf.stack([tf.reduce_sum(detail * source, -1), tf.reduce_sum(tf.square(source), -1)], -1)
            per_cell = tf.nn.avg_pool2d(tf.pad(terms, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]]), cell, cell, "VALID")
            # back to the cell c whose shift it used: cell c + (dy, dx) -> c
            per_cell = tf.pad(per_cell, [[0, 0], [k, k], [k, k], [0, 0]])
            sums += per_cell[:, k + dy : k + dy + cells_h, k + dx : k + dx + cells_w]
    return sums[..., :1] / (sums[..., 1:] + 1e-8)


def detailed_repair(outputs: dict, images, masks, cell: int = 8):
    """The repair U-Net's outputs on (images (B, H, W, C), masks (B, H, W, 1)) -> its repair with
    exemplar detail in the hole (`transfer_detail` of its composite), (B, H, W, C) in [-1, 1]."""
    return transfer_detail(outputs["repaired"], masks, cell=cell)
