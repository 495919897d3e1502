from glowpos.errors import DomainError


class ImportRefused(DomainError):
    """The file as a whole cannot be read as an import (too big, not a spreadsheet, no header)."""

    code = "import_refused"
    status = 422
