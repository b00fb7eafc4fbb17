"""The one exception users see: :class:`SynthECGError`.

Every user-facing failure raises it with a single line that says what went wrong, which file or
argument it concerns, and what to do. The CLI prints it as ``error: ...`` and exits with status 2.
"""


class SynthECGError(ValueError):
    """A user-facing error whose message is one line naming the file or argument and the problem."""

    def __init__(self, message: str):
        # One line, always: a multi-line library message would break `error: ...` output.
        super().__init__(" ".join(str(message).split()))
