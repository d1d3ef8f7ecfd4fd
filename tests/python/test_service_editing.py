"""Python files in the editor as workspace models, through the service alone (what the
language server's importFile, commands and "replace X with model N" call): classes of a
file's text, adding one (queued unless trained or queued), importing a file's classes,
trained relatives and their source, spec validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_helpers import TINY_SHAPE, tiny_workspace

from remap.arch import ArchSpec, Conv2D, Dense, MaxPool
from remap.service import ServiceError
from remap.service.editing import (
    RelativesIndex,
    add_class,
    classes_in,
    find_class,
    import_classes,
    read_text,
    replacements,
    require_model,
)
from remap.service.specs import validation
from remap.service.types import import_source

SOURCE = '''"""Two classes, one that cannot be mapped."""
from torch import nn


class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(400, 4)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


class Odd(nn.Module):
    def forward(self, x):
        return x + x
'''


def test_classes_of_a_file_are_found_added_once_and_queued(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    with tiny_workspace(tmp_path) as ws:
        names = [m.class_name for m in classes_in(ws, path, SOURCE)]
        assert names == ["Small", "Odd"]
        small = find_class(ws, path, SOURCE, "Small")
        with pytest.raises(ServiceError, match="Odd cannot be mapped") as odd:
            find_class(ws, path, SOURCE, "Odd")
        assert odd.value.field == "class_name"
        with pytest.raises(ServiceError, match="no nn.Module class 'Big' in net.py"):
            find_class(ws, path, SOURCE, "Big")

        shown = add_class(ws, small, path, train=False)
        assert shown.created and shown.jobs == []
        model = ws.store.get_model(shown.model_id)
        assert (model.origin, model.name, model.source) == ("imported", "Small", f"{path}:5")
        trained = add_class(ws, small, path, train=True)  # the same model, now queued
        assert (trained.model_id, trained.created) == (shown.model_id, False)
        assert len(trained.jobs) == 1
        again = add_class(ws, small, path, train=True)  # queued already: no second job
        assert again.jobs == []


def test_importing_a_file_lists_what_it_skips(tmp_path: Path) -> None:
    path = tmp_path / "net.py"
    with tiny_workspace(tmp_path) as ws:
        result = import_classes(ws, path, SOURCE, None, train=False)
        assert len(result.created) == 1 and result.jobs == []
        assert len(result.skipped) == 1 and result.skipped[0].startswith("net.py:")
        assert "cannot import Odd" in result.skipped[0]
        repeat = import_classes(ws, path, SOURCE, "Small", train=False)
        assert repeat.existing == result.created and repeat.created == []
        with pytest.raises(ServiceError) as missing:
            import_classes(ws, path, SOURCE, "Big", train=False)
        assert missing.value.field == "class_name"
        with pytest.raises(ServiceError, match="defines no nn.Module class"):
            import_classes(ws, path, "x = 1\n", None, train=False)
        with pytest.raises(ServiceError, match="model: unknown model id 99"):
            require_model(ws, 99)


def test_read_text_prefers_the_editor_and_names_an_unreadable_file(tmp_path: Path) -> None:
    assert read_text(tmp_path / "absent.py", "editor text") == "editor text"
    with pytest.raises(ServiceError, match="absent.py: cannot read"):
        read_text(tmp_path / "absent.py", None)


def test_replacements_offer_children_first_then_the_most_accurate() -> None:
    own = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(4)))
    child = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), Dense(4)))
    best = ArchSpec(TINY_SHAPE, 4, (Conv2D(5, 8), Dense(4)))
    other_shape = ArchSpec((1, 28, 28), 4, (Conv2D(3, 8), Dense(4)))
    index = RelativesIndex(
        by_hash={own.content_hash: 1},
        children={1: [2]},
        accuracy={2: 0.5, 3: 0.9, 4: 0.99},
        specs={1: own, 2: child, 3: best, 4: other_shape},
        dataset="tiny",
    )
    offers = replacements(index, own, "Net")
    assert [o.model_id for o in offers] == [2, 3]  # the child first; model 4 does not fit
    assert offers[0].label.startswith("50.0% accuracy")
    assert offers[0].source.startswith("class Net(nn.Module):")
    assert "REMAP model #2:" in offers[0].source and "held-out accuracy on tiny" in offers[0].source
    (sequential,) = replacements(index, own, "net", is_class=False)[:1]
    assert sequential.source.rstrip().endswith("net = RemapModel2()")
    (model,) = import_source(sequential.source.replace("net = RemapModel2()", ""))
    assert model.spec is not None


def test_validation_reports_layers_the_first_error_and_the_model_limit() -> None:
    spec = ArchSpec(TINY_SHAPE, 4, (Conv2D(3, 8), MaxPool(2), Dense(4)))
    ok = validation(spec)
    assert ok["ok"] and ok["error"] is None and len(ok["layers"]) == 3
    assert ok["params"] == sum(layer["params"] for layer in ok["layers"])
    # the sampling budget (remap.maxParams) does not apply; REMAP's model limit does
    huge = ArchSpec((1, 64, 64), 4, (Dense(40_000), Dense(4)))
    over = validation(huge)
    assert (
        not over["ok"]
        and over["error"]["index"] is None
        and "limit of 100,000,000" in over["error"]["message"]
    )
    bad = validation(ArchSpec(TINY_SHAPE, 4, (Conv2D(13, 8), Dense(4))))
    assert not bad["ok"] and bad["error"]["index"] == 0
