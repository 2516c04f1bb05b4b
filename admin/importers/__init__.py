"""Imports from xlsx and csv: validated row by row, written all-or-nothing.

`run(kind, filename, data, actor, **options)` reads the file, checks every
row and, only when no row has a problem, writes them all in one transaction.
The report lists each problem with its row number (as the spreadsheet shows
it), the column and what is wrong, in Chinese.
"""

from .base import KINDS  # noqa: F401
from .base import ImportReport  # noqa: F401
from .base import run  # noqa: F401
