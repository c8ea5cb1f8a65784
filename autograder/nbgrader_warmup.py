"""What nbgrader would redo in every job, done once in the launcher before it forks the job's worker.

- nbformat compiles its notebook schema into a validator on first use in a process (about 0.3 s of CPU).
- nbgrader checks each cell's metadata with ``jsonschema.validate``, which checks nbgrader's own schema
  again before every cell (about 0.1 s per notebook, several times per job); :class:`CheckedSchemas` checks
  each schema once and validates the same way after that (same errors, same exceptions).
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

import jsonschema


class CheckedSchemas:
    """``jsonschema`` with a ``validate`` that checks a schema only the first time it sees it."""

    def __init__(self, module: ModuleType = jsonschema) -> None:
        self._module = module
        self._validators: dict[str, Any] = {}

    def validate(self, instance: Any, schema: dict) -> None:
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)  # raises SchemaError for a broken schema, as jsonschema.validate does
            validator = self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name: str) -> Any:  # everything else is jsonschema's own
        return getattr(self._module, name)


def warm_up() -> None:
    """Compile the notebook schemas and give nbgrader's metadata checks :class:`CheckedSchemas` (this process and
    the workers it forks)."""
    from nbformat import v4, validator
    from nbgrader.nbgraderformat import common

    for minor in sorted({4, v4.nbformat_minor}):  # what JupyterLab and the releases write
        validator.get_validator(4, minor)
    common.jsonschema = CheckedSchemas()
