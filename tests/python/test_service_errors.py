"""Which engine errors mean a bad request, and about which field: the one table the
language server's dispatcher reads (service.errors.request_field)."""

from __future__ import annotations

from remap.arch import ArchError, SpecFormatError
from remap.data import DataError
from remap.service.errors import ServiceError, request_field
from remap.store import JobStateError, UnknownJobError, UnknownModelError


def test_engine_errors_name_the_request_field() -> None:
    assert request_field(UnknownModelError(7)) == "model_id"
    assert request_field(UnknownJobError(7)) == "job_id"
    assert request_field(JobStateError("job 7 is done")) == "job_id"
    assert request_field(SpecFormatError("layers[0]", "bad")) == "spec"
    assert request_field(ArchError(0, "Conv2D 5×5/16", "kernel too large")) == "spec"
    assert request_field(DataError("tiny.npz", "no such file")) == "dataset"
    assert request_field(ServiceError("x", "count")) is None  # carries its own field
    assert request_field(RuntimeError("boom")) is None  # an internal error, not the request's
