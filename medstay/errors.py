"""Errors a user caused: shown as one clear sentence, never a traceback."""


class UserError(Exception):
    """Bad input or a refused action; nothing was changed. Its text is English; `phrase`,
    when given, is the same sentence as a phrase (rules/phrases.py), that the CLI and the
    Resume form say in the office's language (medstay/labels.py `said`)."""

    def __init__(self, message: str, phrase=None):
        super().__init__(message)
        self.phrase = phrase


class NotFound(UserError):
    pass
