"""Errors a user caused: shown as one clear sentence, never a traceback."""


class UserError(Exception):
    """Bad input or a refused action; nothing was changed."""


class NotFound(UserError):
    pass
