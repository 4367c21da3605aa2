"""Errors about one value deep inside a JSON document, which learn their path while they unwind."""


class PathError(Exception):
    """Raised at a bad value; each enclosing level appends its key or index to ``keys`` and re-raises."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.keys: list[str | int] = []

    def path(self) -> str:
        """The path from the document's root, e.g. ``reset[0].dateTime``."""
        text = "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in reversed(self.keys))
        return text.removeprefix(".")
