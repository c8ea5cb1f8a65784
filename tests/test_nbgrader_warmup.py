"""The launcher's warm-up: nbgrader's metadata checks give the same verdicts with each schema checked once."""

from __future__ import annotations

import copy

import jsonschema
import nbformat
import pytest

from autograder import examples
from autograder.nbgrader_warmup import CheckedSchemas

SCHEMA = {"type": "object", "properties": {"points": {"type": "number"}}, "required": ["points"]}


def test_a_valid_instance_passes_and_an_invalid_one_raises_what_jsonschema_raises():
    checked = CheckedSchemas()
    checked.validate({"points": 2}, SCHEMA)
    for wrong in ({"points": "many"}, {}):
        with pytest.raises(jsonschema.ValidationError) as ours:
            checked.validate(wrong, SCHEMA)
        with pytest.raises(jsonschema.ValidationError) as theirs:
            jsonschema.validate(wrong, SCHEMA)
        assert ours.value.message == theirs.value.message


def test_a_broken_schema_is_refused_and_each_schema_is_checked_once(monkeypatch):
    checked = CheckedSchemas()
    with pytest.raises(jsonschema.SchemaError):
        checked.validate({}, {"type": "not a type"})
    calls = []
    cls = jsonschema.validators.validator_for(SCHEMA)
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, schema: calls.append(schema)))
    for _ in range(3):
        checked.validate({"points": 1}, dict(SCHEMA))  # an equal schema loaded again, as nbgrader loads it per use
    assert len(calls) == 1
    assert checked.ValidationError is jsonschema.ValidationError  # the rest is jsonschema's own


def test_nbgraders_metadata_check_gives_the_same_verdicts_with_it(monkeypatch):
    from nbgrader.nbgraderformat import common
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    master = examples.solved("a1_noise_mlp")
    broken = copy.deepcopy(master)
    next(c for c in broken.cells if c.metadata.get("nbgrader", {}).get("grade"))["metadata"]["nbgrader"]["points"] = "2"
    verdicts = []
    for module in (jsonschema, CheckedSchemas()):
        monkeypatch.setattr(common, "jsonschema", module)
        MetadataValidatorV3().validate_nb(nbformat.from_dict(copy.deepcopy(master)))
        with pytest.raises(jsonschema.ValidationError) as raised:
            MetadataValidatorV3().validate_nb(nbformat.from_dict(copy.deepcopy(broken)))
        verdicts.append(raised.value.message)
    assert verdicts[0] == verdicts[1] == "'2' is not of type 'number'"
