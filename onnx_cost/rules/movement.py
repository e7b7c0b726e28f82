"""Data movement and metadata: ops of the default domain that do no arithmetic.

Three kinds (``moves``): a *view* moves nothing (Reshape, Identity: a runtime
aliases the buffer); a *shape* op reads only metadata and writes its small
output (Shape, Size, EyeLike); an *io* op reads every input once and writes
every output once (Transpose, Concat, Cast). Where an op provably reads only
part of an input (Slice, Gather) a rule below sets the bytes exactly.

A few ops that look like movement do count operations and have rules here:
NonZero (one test per element), Range (one add per element), the reductions
of ScatterElements/ScatterND, Col2Im (adds overlapping patches), Dropout in
training mode and TfIdfVectorizer. Random generators (RandomNormal, Bernoulli)
are zero compute: how a runtime draws numbers is its own business.
"""

from __future__ import annotations

from onnx_cost.rules._routing import routed
from onnx_cost.rules.cost import Cost
from onnx_cost.rules.node import NodeView, RuleError, ShapeUnknown, nbytes, numel
from onnx_cost.rules.registry import rule, zero_compute

# -- views: nothing read, nothing written ------------------------------------

zero_compute(
    "Reshape", "Squeeze", "Unsqueeze", "Flatten",
    reason="No arithmetic: a view; only the shape changes, a runtime aliases the buffer (0 bytes moved).",
    moves="view", module=__name__,
)  # fmt: skip
zero_compute(
    "Identity",
    reason="No arithmetic: returns its input unchanged, an alias (0 bytes moved).",
    moves="view", module=__name__,
)  # fmt: skip
zero_compute(
    "BitCast",
    reason="No arithmetic: reinterprets the bits as another type of the same width, an alias (0 bytes moved).",
    moves="view", module=__name__,
)  # fmt: skip
zero_compute(
    "Optional", "OptionalGetElement",
    reason="No arithmetic: wraps a tensor in an optional or unwraps it, a reference (0 bytes moved).",
    moves="view", module=__name__,
)  # fmt: skip
zero_compute(
    "SequenceConstruct", "SequenceInsert", "SequenceErase", "SequenceAt", "SequenceEmpty",
    reason="No arithmetic: builds, edits or indexes a sequence of tensor references (0 bytes moved).",
    moves="view", module=__name__,
)  # fmt: skip

# -- metadata: nothing read but the shape, the small output written ----------

zero_compute(
    "Shape", "Size",
    reason="No arithmetic: reads only the input's shape metadata; writes the small int64 output.",
    moves="shape", module=__name__,
)  # fmt: skip
zero_compute(
    "OptionalHasElement", "SequenceLength",
    reason="No arithmetic: reads only whether the optional is set / the sequence's length; writes a scalar.",
    moves="shape", module=__name__,
)  # fmt: skip
zero_compute(
    "EyeLike", "RandomNormalLike", "RandomUniformLike",
    reason="No arithmetic counted: uses only the input's shape and type; writes the output once "
    "(random draws are the runtime's business, not counted).",
    moves="shape", module=__name__,
)  # fmt: skip

# -- data movement: every input read once, every output written once ---------

_IO = (
    ("Transpose", "No arithmetic: permutes axes; reads the input once, writes the output once."),
    ("Concat", "No arithmetic: copies every input into the output; reads each input once, writes the output once."),
    ("Split", "No arithmetic: copies the input into the outputs; reads it once, writes each output once."),
    ("Pad", "No arithmetic in any mode (constant, reflect, edge, wrap): copies the input and fills the border; "
            "reads the input once, writes the output once."),
    ("Expand", "No arithmetic: broadcasts the input; reads it once, writes the output once."),
    ("Tile", "No arithmetic: repeats the input; reads it once, writes the output once."),
    ("Cast", "No arithmetic: converts the element type; reads the input once, writes the output once."),
    ("DepthToSpace", "No arithmetic: moves channel blocks into space; reads the input once, writes the output once."),
    ("SpaceToDepth", "No arithmetic: moves spatial blocks into channels; reads the input once, writes the output "
                     "once."),
    ("OneHot", "No arithmetic: writes off_value everywhere and on_value at each index; reads indices, depth and "
               "values once, writes the output once."),
    ("Trilu", "No arithmetic: keeps the upper or lower triangle, zeroes the rest by position; "
              "reads the input once, writes the output once."),
    ("ReverseSequence", "No arithmetic: reverses each batch entry's first seq_lens items; reads the inputs once, "
                        "writes the output once."),
    ("Unique", "No arithmetic counted: sorting or hashing cost depends on the data, not on shapes; reads the "
               "input once, writes the outputs once."),
    ("Constant", "No arithmetic: writes its attribute's value once (reads nothing)."),
    ("ConstantOfShape", "No arithmetic: fills the output with one value; reads the shape tensor, writes the output "
                        "once."),
    ("RandomNormal", "No arithmetic counted: random draws are the runtime's business; writes the output once."),
    ("RandomUniform", "No arithmetic counted: random draws are the runtime's business; writes the output once."),
    ("Bernoulli", "No arithmetic counted: one random draw per element, the runtime's business; reads the "
                  "probabilities once, writes the output once."),
    ("SplitToSequence", "No arithmetic: copies the input into a sequence of pieces; reads it once, writes them once."),
    ("ConcatFromSequence", "No arithmetic: copies a sequence's tensors into one; reads each once, writes the output "
                           "once (bytes partial: sequence element shapes are not tracked)."),
    ("StringNormalizer", "No arithmetic: string case folding and stopword removal; reads and writes once "
                         "(string bytes are not sized)."),
    ("StringConcat", "No arithmetic: concatenates strings; reads and writes once (string bytes are not sized)."),
    ("StringSplit", "No arithmetic: splits strings; reads and writes once (string bytes are not sized)."),
    ("RegexFullMatch", "No arithmetic: matches strings against a regex; reads and writes once "
                       "(string bytes are not sized)."),
    ("CenterCropPad", "No arithmetic: crops or zero-pads to a shape; reads the input once, writes the output once."),
    ("ImageDecoder", "Decoding not counted: its cost depends on the codec and the encoded bytes, not on shapes; "
                     "reads the encoded stream once, writes the image once."),
    ("Scatter", "No arithmetic (deprecated ScatterElements without reduction): copies data and overwrites the "
                "indexed elements; reads every input once, writes the output once."),
)
for _op, _why in _IO:
    zero_compute(_op, reason=_why, moves="io", module=__name__)


# -- partial reads ------------------------------------------------------------


def _gathered(view: NodeView, first: int = 1) -> Cost:
    """Read the output's worth of elements of input 0, and inputs ``first``.. whole."""
    try:
        data = view.inputs[0]
        if data is None or not data.bits:
            raise ShapeUnknown("element size of input 0 unknown")
        read = nbytes(view.out_numel(0), data.bits)
        for i in range(first, len(view.inputs)):
            t = view.inputs[i]
            if t is not None:
                if not t.bits:
                    raise ShapeUnknown(f"element size of input {i} unknown")
                read += nbytes(view.in_numel(i), t.bits)
    except ShapeUnknown:
        return Cost()  # no arithmetic either way: the analyzer's bytes, marked partial
    return Cost(read_bytes=read)


@rule("Gather", "GatherElements", "GatherND")
def gather(view: NodeView) -> Cost:
    """No arithmetic; reads only the gathered elements: read = out_numel elements of data + all of indices;
    writes the output once.

    With unknown shapes the bytes fall back to every input read once (marked partial); the count stays 0.
    Peers (onnx-tool) read the whole data tensor, which overstates an embedding lookup by the table size.
    """
    return _gathered(view)


@rule("Slice")
def slice_(view: NodeView) -> Cost:
    """No arithmetic; reads only the sliced region: read = out_numel elements of data + starts/ends/axes/steps;
    writes the output once.

    With unknown shapes the bytes fall back to every input read once (marked partial).
    """
    return _gathered(view)


@rule("Compress")
def compress(view: NodeView) -> Cost:
    """No arithmetic; reads only the kept slices: read = out_numel elements of input + all of condition;
    writes the output once.

    When the condition is known only at run time the output length is unknown and the bytes fall back to
    every input read once (marked partial).
    """
    return _gathered(view)


@rule("CastLike")
def cast_like(view: NodeView) -> Cost:
    """No arithmetic: converts input to target_type's element type; reads input once (target_type only for its
    type, not read), writes the output once."""
    try:
        t = view.inputs[0]
        if t is None or not t.bits:
            return Cost()
        return Cost(read_bytes=nbytes(view.in_numel(0), t.bits))
    except ShapeUnknown:
        return Cost()


@rule("TensorScatter")
def tensor_scatter(view: NodeView) -> Cost:
    """No arithmetic: writes update into the cache in place (as the spec models it): read = update + write_indices,
    write = bytes of update.

    A functional copy would also read past_cache and write all of present_cache; a KV-cache runtime does not.
    """
    try:
        upd = view.inputs[1]
        if upd is None or not upd.bits:
            return Cost()
        moved = nbytes(view.in_numel(1), upd.bits)
        idx = view.inputs[2] if len(view.inputs) > 2 else None
        read = moved + (nbytes(view.in_numel(2), idx.bits) if idx is not None and idx.bits else 0)
    except ShapeUnknown:
        return Cost()
    return Cost(read_bytes=read, write_bytes=moved)


# -- ops that look like movement but count operations -------------------------


def _count(view: NodeView, n: int, kind: str) -> Cost:
    """``n`` float ops of ``kind`` ("arith" or "compare"), or ``n`` int_ops for integer data."""
    return routed(view, Cost(**{kind: n}))


@rule("NonZero")
def nonzero(view: NodeView) -> Cost:
    """One test against zero per element of X: compare = N (int_ops = N for integer or bool X),
    N = elements of X; reads X once, writes the indices of the non-zeros.

    The output's length depends on the data, so its write bytes are known only when X is static.
    Peers count NonZero as 0.
    """
    return _count(view, view.in_numel(0), "compare")


@rule("Range")
def range_(view: NodeView) -> Cost:
    """One add per output element (the spec's function adds delta to the previous value each step):
    arith = N (int_ops = N for integer types), N = elements of the output = max(ceil((limit − start)/delta), 0).

    When start, limit or delta are known only at run time the length is unknown: shape-unknown.
    Peers count Range as 0.
    """
    return _count(view, view.out_numel(0), "arith")


@rule("ScatterElements", "ScatterND")
def scatter(view: NodeView) -> Cost:
    """reduction none: no arithmetic (copies data, overwrites the indexed elements); add or mul: one add or
    multiply per element of updates, arith = U; max or min: compare = U; U = elements of updates
    (int_ops = U for integer data). Reads every input once, writes the output once.

    Before opset 16 there is no reduction attribute: the op is a pure copy.
    """
    red = view.attr("reduction", "none")
    if red == "none":
        return Cost()
    if red not in ("add", "mul", "max", "min"):
        raise RuleError(f"{view.op_type} reduction '{red}' is not one of none, add, mul, max, min")
    return _count(view, view.in_numel(2), "arith" if red in ("add", "mul") else "compare")


def _in_bounds(image: int, block: int, stride: int, dilation: int, pad_begin: int, blocks: int) -> int:
    """How many (block position, kernel offset) pairs of one axis land inside the image."""
    return sum(
        1 for p in range(blocks) for k in range(block) if 0 <= p * stride - pad_begin + k * dilation < image
    )


@rule("Col2Im")
def col2im(view: NodeView) -> Cost:
    """Adds every column element that lands inside the image into it: arith = N·C·∏_d inside_d
    (int_ops for integer data), where inside_d = number of (block position l, kernel offset k) pairs of axis d
    with 0 ≤ l·stride_d − pad_begin_d + k·dilation_d < image_shape_d, and C = input dim 1 / ∏ block_shape.
    Reads the input once, writes the image once.

    Elements that fall into the padding are dropped, not added. Each pixel's first add goes into the
    zero-initialised image, as the reference and PyTorch's fold compute it. image_shape and block_shape must be
    known statically (else shape-unknown).
    """
    shape = view.in_shape(0)
    if len(shape) != 3:
        raise RuleError(f"Col2Im input must be [N, C·∏block, L], got shape {list(shape)}")
    n, cb, length = shape
    image = [int(v) for v in view.in_value(1).reshape(-1)]
    block = [int(v) for v in view.in_value(2).reshape(-1)]
    k = len(image)
    strides = list(view.attr("strides") or [1] * k)
    dilations = list(view.attr("dilations") or [1] * k)
    pads = list(view.attr("pads") or [0] * (2 * k))
    if len(block) != k or len(strides) != k or len(dilations) != k or len(pads) != 2 * k:
        raise RuleError(
            f"Col2Im image_shape {image}, block_shape {block}, strides {strides}, dilations {dilations} "
            f"and pads {pads} disagree on the number of spatial axes"
        )
    kprod = numel(block)
    if kprod <= 0 or cb % kprod:
        raise RuleError(f"Col2Im input dim 1 ({cb}) is not a multiple of ∏ block_shape {block}")
    blocks, inside = 1, 1
    for d in range(k):
        span = dilations[d] * (block[d] - 1) + 1
        l_d = (image[d] + pads[d] + pads[k + d] - span) // strides[d] + 1
        if l_d <= 0:
            raise RuleError(f"Col2Im block {block} larger than the padded image {image} (pads {pads})")
        blocks *= l_d
        inside *= _in_bounds(image[d], block[d], strides[d], dilations[d], pads[d], l_d)
    if blocks != length:
        raise RuleError(f"Col2Im input has L = {length} columns, the image and block shapes give {blocks}")
    return _count(view, n * (cb // kprod) * inside, "arith")


def _training(view: NodeView) -> bool:
    """Whether a Dropout node drops: opset < 7 unless is_test; opset 7–11 never; 12+ when training_mode is true."""
    if view.opset < 7:
        return not view.attr("is_test", 0)
    if view.opset < 12 or not view.has_input(2):
        return False
    return bool(view.in_value(2).reshape(-1)[0])


@rule("Dropout")
def dropout(view: NodeView) -> Cost:
    """Inference (training_mode absent or false; always at opset 7–11; is_test=1 before 7): an identity view,
    0 bytes moved but the all-true mask when it is requested. Training with a ratio not known to be 0:
    compare = N (mask = random draw ≥ ratio) and arith = 2·N (output = scale·data·mask), N = elements of data.

    A training_mode fed at run time is shape-unknown (whether it drops is not known). The random draw is
    not counted.
    """
    if _training(view):
        ratio = view.inputs[1] if view.opset >= 12 and view.has_input(1) else None
        zero_ratio = (
            view.attr("ratio", 0.5) == 0
            if view.opset < 12
            else ratio is not None and ratio.value is not None and float(ratio.value.reshape(-1)[0]) == 0
        )
        if not zero_ratio:
            n = view.in_numel(0)
            return Cost(compare=n, arith=2 * n)
    mask = 0
    if view.has_output(1):
        try:
            mask = nbytes(view.in_numel(0), 8)
        except ShapeUnknown:
            return Cost(read_bytes=0)  # the mask's size is unknown: the analyzer writes what it knows, partial
    return Cost(read_bytes=0, write_bytes=mask)


def _ngrams(c: int, lo: int, hi: int, skips: int) -> int:
    """N-grams of lengths lo..hi extracted from a row of c items, skips 0..``skips`` (unigrams once)."""
    total = 0
    for dist in range(1, skips + 2):
        start = 2 if lo == 1 and dist > 1 else lo
        total += sum(max(0, c - dist * (n - 1)) for n in range(start, hi + 1))
    return total


@rule("TfIdfVectorizer")
def tfidf(view: NodeView) -> Cost:
    """One pool lookup per extracted n-gram: int_ops = R·E, E = Σ over skip distance s = 1..max_skip_count+1 and
    length n = min_gram_length..max_gram_length (unigrams once) of max(0, C − s·(n−1)); R rows of C items.
    Then per element of Y: mode IDF: compare = elements of Y (count > 0 selects the weight or 1); TFIDF with
    weights: arith = elements of Y (count × weight); TF, or TFIDF without weights: nothing.

    E is the n-grams extracted; those absent from the pool are looked up but not counted, so the increments
    are at most E.
    """
    shape = view.in_shape(0)
    if len(shape) not in (1, 2):
        raise RuleError(f"TfIdfVectorizer input must be [C] or [N, C], got shape {list(shape)}")
    rows, c = (1, shape[0]) if len(shape) == 1 else shape
    lo, hi = int(view.attr("min_gram_length", 0)), int(view.attr("max_gram_length", 0))
    skips = int(view.attr("max_skip_count", 0))
    if lo < 1 or hi < lo or skips < 0:
        raise RuleError(
            f"TfIdfVectorizer min_gram_length {lo}, max_gram_length {hi}, max_skip_count {skips}: "
            "need 1 ≤ min ≤ max and skips ≥ 0"
        )
    lookups = rows * _ngrams(c, lo, hi, skips)
    mode = view.attr("mode", "")
    if mode not in ("TF", "IDF", "TFIDF"):
        raise RuleError(f"TfIdfVectorizer mode '{mode}' is not one of TF, IDF, TFIDF")
    if mode == "IDF":
        return Cost(int_ops=lookups, compare=view.out_numel(0))
    if mode == "TFIDF" and view.attr("weights"):
        return Cost(int_ops=lookups, arith=view.out_numel(0))
    return Cost(int_ops=lookups)
