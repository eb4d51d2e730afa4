"""An exception and everything it wraps, for code that looks for the cause that explains it.

dlt wraps what a resource or a load job raised (``PipelineStepFailed`` around
``ResourceExtractionError`` around ours, in ``.exception``); requests wraps urllib3's
``MaxRetryError`` (in ``args``), which wraps the socket's error (in ``.reason``). A leaf
module, so the HTTP client and the failure table can both use it.
"""

from __future__ import annotations

from collections.abc import Iterator


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it wraps, outermost first, each once."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = (
            getattr(current, "exception", None),
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
            *current.args,
        )
        pending += [nested for nested in wrapped if isinstance(nested, BaseException)]
