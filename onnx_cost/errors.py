"""Typed errors: one exception class per class of problem, each with an exit code.

The CLI prints ``str(error)`` as one line on stderr (``onnx-cost: error: ...``)
and exits with ``exit_code``. Every ``OnnxCostError`` is bad *input* (exit 2); a bug
in onnx-cost itself is an ``InternalError`` or any other exception (the CLI's exit 3).
docs/errors.md lists them with examples.
"""

from __future__ import annotations

MAX_MESSAGE = 1000  # characters of a message; the rest is cut


def printable(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as one printable line: control characters escaped (a node named
    "a\\nb" or "\\r..." must not break the one-line contract), long text cut."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class OnnxCostError(Exception):
    """Base of every error onnx-cost raises on bad input. ``str()`` is always one
    printable line, whatever names the model holds."""

    exit_code = 2

    def __str__(self) -> str:
        return printable(super().__str__())


class ModelFileError(OnnxCostError):
    """The path is missing, a directory, not a regular file, empty or unreadable."""


class NotOnnxError(OnnxCostError):
    """The file is not an ONNX model: text, an image, a PyTorch zip, a truncated or
    corrupt protobuf, or a valid protobuf of another kind than ModelProto."""


class InvalidGraphError(OnnxCostError):
    """The graph is structurally wrong: a cycle, a dangling input, duplicate outputs,
    no opset for the default domain, a recursive function."""


class UnsupportedModelError(OnnxCostError):
    """The model needs something this onnx cannot give: an opset or IR version from the future."""


class ResourceLimitError(OnnxCostError):
    """The model is past a limit that keeps time and memory bounded: subgraphs nested
    deeper than the parser or onnx-cost allows, too many nodes once functions are inlined."""


class ExternalDataError(OnnxCostError):
    """An external data reference is unsafe (absolute, escaping the model folder with
    ``..`` or a symlink): refused before anything opens it."""


class BindingError(InvalidGraphError):
    """A ``--input``, ``--dim`` or ``--sweep`` (``inputs=``, ``dims=``) that does not fit
    the model: a name it does not have (the message lists those it has), a bad shape."""


class OutputError(OnnxCostError):
    """The report cannot be written where asked."""


class InternalError(Exception):
    """A bug in onnx-cost, not a verdict on the model: a rule or one of our shape
    functions raised something other than RuleError or ShapeUnknown. ``str()`` is one
    line naming the node, the op and our version; the original exception is the
    ``__cause__`` (the CLI shows its traceback under ``--debug``). Exit code 3."""

    exit_code = 3

    def __init__(self, where: str, node: str, op: str, error: BaseException) -> None:
        from onnx_cost._version import __version__

        what = str(error).splitlines()[0] if str(error) else ""
        super().__init__(
            f"internal error in {where} of {op} at node '{node}': {type(error).__name__}"
            f"{': ' + what if what else ''} (onnx-cost {__version__}); rerun with --debug and report it"
        )

    def __str__(self) -> str:
        return printable(super().__str__())
