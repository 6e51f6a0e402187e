"""Judging a question's code: signatures, the driver of each language, comparing answers."""
