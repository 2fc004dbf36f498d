"""peewee, typed as ``Any`` for mypy (``[tool.mypy] mypy_path`` in pyproject.toml).

peewee 3 ships no types, and the stubs bundled with peewee 4 cannot see the columns peewee
adds itself (``id``, ``<foreign key>_id``) nor the rows of ``.tuples()``/``.dicts()``:
checked against them, every query would need a cast or an ignore. This stub takes
precedence over both, so the models and queries are unchecked and the code around them
is checked the same way whichever peewee is installed.
"""

from typing import Any

def __getattr__(name: str) -> Any: ...
