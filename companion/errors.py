"""Errors a user can fix: the chapters print their message on one line and exit."""


class CompanionError(ValueError):
    """Bad input from the user (a flag, a file, a model that breaks a rule)."""


class DataError(CompanionError):
    """A data file that is missing, unreadable or not in the expected layout."""


class RuleError(CompanionError):
    """A model that breaks one of the rules it is checked against."""
