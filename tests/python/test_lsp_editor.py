"""Editor features of the REMAP language server on the fixture files (copied into a temporary
workspace): diagnostics (a Linear size bug, an unmappable residual model), code lenses,
code actions with "replace X with model N" edits, and the server commands behind them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_fixtures.harness import FIXTURES, Client, add_trained, start, stop, wait_for, write_npz
from lsprotocol import types as t
from lsprotocol.converters import get_converter

from remap.arch import Activation, ArchSpec, Conv2D, Dense, Dropout, Flatten, MaxPool
from remap.codegen import import_source

pytestmark = pytest.mark.asyncio(loop_scope="module")
CONVERTER = get_converter()

SMALLNET = ArchSpec(
    (1, 8, 8),
    3,
    (
        Conv2D(3, 8),
        Activation("relu"),
        MaxPool(2),
        Flatten(),
        Dense(24),
        Activation("relu"),
        Dense(3),
    ),
)
CHILD_A = ArchSpec((1, 8, 8), 3, (Conv2D(3, 8), MaxPool(2), Flatten(), Dense(24), Dense(3)))
CHILD_B = ArchSpec(
    (1, 8, 8),
    3,
    (Conv2D(3, 8), Activation("relu"), MaxPool(2), Flatten(), Dense(24), Dropout(0.25), Dense(3)),
)
OTHER = ArchSpec((1, 8, 8), 3, (Conv2D(5, 4), Flatten(), Dense(3)))


class Env:
    def __init__(self, client: Client, root: Path, ids: dict[str, int]) -> None:
        self.client, self.root, self.ids = client, root, ids
        self.versions: dict[str, int] = {}

    def path(self, name: str) -> Path:
        return self.root / name

    def uri(self, name: str) -> str:
        return self.path(name).as_uri()

    async def open(self, name: str) -> str:
        uri = self.uri(name)
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        self.client.text_document_did_open(
            t.DidOpenTextDocumentParams(
                t.TextDocumentItem(uri, "python", 1, self.path(name).read_text())
            )
        )
        await wait_for(lambda: uri in self.client.diagnostics, timeout=20)
        return uri

    async def change(self, uri: str, text: str) -> None:
        self.client.diagnostics.pop(uri, None)
        self.versions[uri] += 1
        self.client.text_document_did_change(
            t.DidChangeTextDocumentParams(
                t.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [t.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await wait_for(lambda: uri in self.client.diagnostics, timeout=20)

    async def actions(self, uri: str, line: int) -> list[t.CodeAction]:
        params = t.CodeActionParams(
            text_document=t.TextDocumentIdentifier(uri),
            range=t.Range(t.Position(line, 0), t.Position(line, 0)),
            context=t.CodeActionContext(diagnostics=[]),
        )
        raw = await self.client.request(t.TEXT_DOCUMENT_CODE_ACTION, params)
        assert all("kind" in item for item in raw)  # code actions, not bare commands
        return [CONVERTER.structure(item, t.CodeAction) for item in raw]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    root = tmp_path_factory.mktemp("editor")
    data = write_npz(root / "data.npz")
    names = ("exported_model.py", "sequential_model.py", "linear_bug.py", "residual.py")
    for name in (*names, "nested_import.py"):
        (root / name).write_text((FIXTURES / name).read_text())
    cifar = Path(__file__).parent / "import_fixtures" / "cifar_net.py"
    (root / "cifar_net.py").write_text(cifar.read_text())
    db = root / ".remap" / "remap.db"
    (parent,) = add_trained(db, data, [SMALLNET], [0.6])
    child_a, child_b = add_trained(
        db, data, [CHILD_A, CHILD_B], [0.7, 0.8], seed=1, origin="ablation", parent=parent
    )
    (other,) = add_trained(db, data, [OTHER], [0.95], seed=2)
    client, _ = await start(root, {"dataset": str(data), "autoTrain": False})
    await wait_for(lambda: client.request("remap/status", {}), timeout=60)
    ids = {"parent": parent, "child_a": child_a, "child_b": child_b, "other": other}
    yield Env(client, root, ids)
    await stop(client)


def apply(text: str, edits: list[t.TextEdit]) -> str:
    """Apply non-overlapping text edits (ASCII text: UTF-16 offsets are characters)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(pos: t.Position) -> int:
        return starts[pos.line] + pos.character if pos.line < len(lines) else len(text)

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


# -- diagnostics -------------------------------------------------------------------------------
async def test_linear_size_bug_is_an_error(env: Env) -> None:
    uri = await env.open("linear_bug.py")
    (diag,) = env.client.diagnostics[uri]
    assert diag.severity == t.DiagnosticSeverity.Error and diag.source == "REMAP"
    assert diag.range.start.line == 13  # the nn.Linear(1024, 10) line
    assert diag.message == (
        "Linear(1024, 10) receives 1600 features here: input 1×28×28 after Conv2D 5×5/16 "
        "and MaxPool 5"
    )
    fixed = env.path("linear_bug.py").read_text().replace("Linear(1024, 10)", "Linear(1600, 10)")
    await env.change(uri, fixed)
    assert list(env.client.diagnostics[uri]) == []
    lenses = await env.client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri))
    )
    assert lenses and {lens.range.start.line for lens in lenses} == {8}


async def test_a_size_diagnostic_has_a_quick_fix_on_the_argument(env: Env) -> None:
    """Issue 12 item 13: "Linear(1024, 10) receives 1600 features" offers "set in_features
    to 1600", a WorkspaceEdit of exactly that argument, after which the error is gone."""
    await wait_for(lambda: env.client.lens_refreshes >= 1, timeout=10)  # data set loaded
    uri = await env.open("linear_bug.py")
    text = env.path("linear_bug.py").read_text()
    (diag,) = env.client.diagnostics[uri]
    params = t.CodeActionParams(
        text_document=t.TextDocumentIdentifier(uri),
        range=diag.range,
        context=t.CodeActionContext(diagnostics=[diag], only=[t.CodeActionKind.QuickFix]),
    )
    raw = await env.client.request(t.TEXT_DOCUMENT_CODE_ACTION, params)
    (fix,) = [CONVERTER.structure(item, t.CodeAction) for item in raw]
    assert fix.title == "REMAP: set in_features to 1600"
    assert fix.kind == t.CodeActionKind.QuickFix and fix.is_preferred
    assert fix.diagnostics and fix.diagnostics[0].message == diag.message
    assert fix.edit is not None and fix.edit.changes is not None
    (edit,) = fix.edit.changes[uri]
    line = text.splitlines()[13]
    assert line[edit.range.start.character : edit.range.end.character] == "1024"
    assert edit.range.start.line == edit.range.end.line == 13 and edit.new_text == "1600"
    await env.change(uri, apply(text, [edit]))
    assert list(env.client.diagnostics[uri]) == []


async def test_unmappable_model_is_information(env: Env) -> None:
    uri = await env.open("residual.py")
    (diag,) = env.client.diagnostics[uri]
    assert diag.severity == t.DiagnosticSeverity.Information
    assert diag.range.start.line == 6  # class ResidualNet
    assert "ResidualNet" in diag.message and "skip connection (`x + " in diag.message
    assert diag.message.endswith("(line 16)") and "cannot map: " not in diag.message
    lenses = await env.client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri))
    )
    assert not lenses


async def test_clean_files_and_workspace_input_shape(env: Env) -> None:
    for name in ("exported_model.py", "sequential_model.py"):
        uri = await env.open(name)
        assert list(env.client.diagnostics[uri]) == []
    # no input comment: the workspace data set's shape (1×8×8) is used
    source = (
        "from torch import nn\n\n\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(1, 4, 3)\n"
        "        self.pool = nn.MaxPool2d(2)\n"
        "        self.fc = nn.Linear(40, 3)\n\n"
        "    def forward(self, x):\n"
        "        return self.fc(self.pool(self.conv(x)).flatten(1))\n"
    )
    env.path("tiny.py").write_text(source)
    uri = await env.open("tiny.py")
    (diag,) = env.client.diagnostics[uri]
    assert diag.range.start.line == 8
    assert "receives 36 features here: input 1×8×8" in diag.message


async def test_syntax_error_gives_no_diagnostics_and_recovers(env: Env) -> None:
    uri = await env.open("exported_model.py")
    text = env.path("exported_model.py").read_text()
    await env.change(uri, text.replace("class SmallNet(nn.Module):", "class SmallNet(nn.Module"))
    assert list(env.client.diagnostics[uri]) == []
    await env.change(uri, text.replace("nn.Linear(72, 24)", "nn.Linear(70, 24)"))
    (diag,) = env.client.diagnostics[uri]
    assert "Linear(70, 24) receives 72 features" in diag.message
    await env.change(uri, text)
    assert list(env.client.diagnostics[uri]) == []


async def test_a_model_written_for_another_input_is_refused_everywhere(env: Env) -> None:
    """The CIFAR-10 tutorial net (3×32×32) in a 1×8×8 workspace: the diagnostic names the
    mismatch, no code lens or action is offered, and remap/importFile does not import it."""
    await wait_for(lambda: env.client.lens_refreshes >= 1, timeout=10)  # data set loaded
    uri = await env.open("cifar_net.py")
    (diag,) = env.client.diagnostics[uri]
    assert diag.severity == t.DiagnosticSeverity.Information
    assert "model expects 3×32×32 input (Conv2d(3, 6, 5) has 3 input channels" in diag.message
    assert "the workspace's data is 1×8×8" in diag.message
    lenses = await env.client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri))
    )
    assert not lenses
    assert await env.actions(uri, 8) == []
    result = await env.client.request("remap/importFile", {"uri": uri, "train": False})
    assert result["created"] == [] and result["existing"] == []
    assert "model expects 3×32×32 input" in result["skipped"][0]


# -- code lenses and actions -------------------------------------------------------------------
async def test_code_lenses(env: Env) -> None:
    await wait_for(lambda: env.client.lens_refreshes >= 1, timeout=10)  # data set loaded
    uri = await env.open("exported_model.py")
    lenses = await env.client.text_document_code_lens_async(
        t.CodeLensParams(text_document=t.TextDocumentIdentifier(uri))
    )
    assert lenses is not None
    assert [lens.command.title for lens in lenses if lens.command] == [
        "REMAP: show on map",
        "ablate",
        "vary",
        "train",
    ]
    assert {lens.range.start.line for lens in lenses} == {19}
    commands = [lens.command for lens in lenses if lens.command]
    assert [c.command for c in commands] == [
        "remap.server.showOnMap",
        "remap.server.ablate",
        "remap.server.vary",
        "remap.server.train",
    ]
    assert all(list(c.arguments or []) == [uri, "SmallNet"] for c in commands)


async def test_code_actions_replace_with_relatives(env: Env) -> None:
    uri = await env.open("exported_model.py")
    text = env.path("exported_model.py").read_text()
    actions = await env.actions(uri, 25)
    titles = [a.title for a in actions]
    assert titles[:4] == [
        "REMAP: ablate each layer of SmallNet",
        "REMAP: generate 5 variations of SmallNet",
        "REMAP: train SmallNet on the workspace data set",
        "REMAP: export a variant of SmallNet next to this file",
    ]
    replace = [a for a in actions if a.title.startswith("REMAP: replace SmallNet with model")]
    order = [env.ids["child_b"], env.ids["child_a"], env.ids["other"]]  # children first
    assert [int(a.title.split("model #")[1].split()[0]) for a in replace] == order
    export = actions[3].command
    assert export is not None and list(export.arguments or []) == [
        uri,
        "SmallNet",
        env.ids["child_b"],
    ]
    assert replace[0].edit is not None and replace[0].edit.changes is not None
    new_text = apply(text, list(replace[0].edit.changes[uri]))
    (model,) = import_source(new_text, input_shape=(1, 8, 8), num_classes=3)
    assert model.class_name == "SmallNet" and model.spec == CHILD_B
    assert new_text.startswith(text[: text.index("class SmallNet")])  # the rest is kept
    assert new_text.rstrip().endswith(
        'print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")'
    )
    assert f"REMAP model #{env.ids['child_b']}:" in new_text
    assert await env.actions(uri, 2) == []  # outside the class: nothing


async def test_replacing_a_sequential_adds_the_missing_import(env: Env) -> None:
    uri = await env.open("sequential_model.py")
    text = env.path("sequential_model.py").read_text()
    actions = await env.actions(uri, 7)
    replace = [a for a in actions if a.edit is not None]
    assert replace and replace[0].title.startswith("REMAP: replace net with model")
    assert replace[0].edit is not None and replace[0].edit.changes is not None
    new_text = apply(text, list(replace[0].edit.changes[uri]))
    lines = new_text.splitlines()
    assert lines[0].startswith('"""') and "import torch" in lines[1:4]
    compile(new_text, "sequential_model.py", "exec")
    models = import_source(new_text, input_shape=(1, 8, 8), num_classes=3)
    assert [m.spec for m in models] == [OTHER]
    assert new_text.rstrip().endswith(f"net = RemapModel{env.ids['other']}()")


async def test_replacing_adds_a_module_level_import_when_torch_is_only_imported_nested(
    env: Env,
) -> None:
    """The file's only `import torch` sits under the main guard: the replaced class needs
    torch when its body runs, so the edit adds a module-level import and the file imports."""
    uri = await env.open("nested_import.py")
    path = env.path("nested_import.py")
    text = path.read_text()
    actions = await env.actions(uri, 8)
    replace = [a for a in actions if a.edit is not None]
    assert replace and replace[0].edit is not None and replace[0].edit.changes is not None
    new_text = apply(text, list(replace[0].edit.changes[uri]))
    assert new_text.splitlines()[1] == "import torch"  # right after the docstring
    edited = env.root / "nested_import_edited.py"
    edited.write_text(new_text)
    run = subprocess.run(
        [sys.executable, "-I", str(edited)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "torch.Size([1, 3])" in run.stdout


# -- commands ----------------------------------------------------------------------------------
async def test_show_on_map_adds_an_imported_model(env: Env) -> None:
    uri = env.uri("sequential_model.py")
    shown = await env.client.command("remap.server.showOnMap", uri, "net")
    model_id = shown["modelId"]
    details = await env.client.request("remap/getModel", {"modelId": model_id})
    assert details["model"]["origin"] == "imported" and details["model"]["name"] == "net"
    assert details["source"] == f"{env.path('sequential_model.py')}:6"
    again = await env.client.command("remap.server.showOnMap", uri, "net")
    assert again["modelId"] == model_id and again["created"] is False
    existing = await env.client.command(
        "remap.server.showOnMap", env.uri("exported_model.py"), "SmallNet"
    )
    assert existing["modelId"] == env.ids["parent"]


async def test_ablate_vary_train_commands(env: Env) -> None:
    uri = env.uri("sequential_model.py")
    ablated = await env.client.command("remap.server.ablate", uri, "net")
    children = ablated["created"] + ablated["existing"]
    assert len(children) + len(ablated["skipped"]) == 6  # six hidden layers
    rows = {r["id"]: r for r in (await env.client.request("remap/listModels", {}))["models"]}
    assert all(rows[c]["parentId"] == ablated["modelId"] for c in ablated["created"])
    assert all(rows[c]["origin"] == "ablation" for c in ablated["created"])
    assert ablated["jobs"]  # queued (nothing trains: autoTrain is off)
    varied = await env.client.command("remap.server.vary", uri, "net")
    assert len(varied["created"]) + len(varied["skipped"]) == 5
    trained = await env.client.command("remap.server.train", env.uri("tiny.py"), "Tiny")
    assert len(trained["jobs"]) == 1
    again = await env.client.command("remap.server.train", env.uri("tiny.py"), "Tiny")
    assert again["jobs"] == [] and again["modelId"] == trained["modelId"]  # already queued


async def test_export_variant(env: Env) -> None:
    uri = env.uri("exported_model.py")
    own = await env.client.command("remap.server.exportVariant", uri, "SmallNet")
    path = Path(own["path"])
    assert path == env.root / f"exported_model_remap_{env.ids['parent']}.py"
    assert "class SmallNet(nn.Module):" in path.read_text()
    child = env.ids["child_a"]
    variant = await env.client.command("remap.server.exportVariant", uri, "SmallNet", child)
    vpath = Path(variant["path"])
    assert vpath.name == f"exported_model_remap_{child}.py" and variant["uri"] == vpath.as_uri()
    (model,) = import_source(vpath.read_text())
    assert model.spec == CHILD_A
    again = await env.client.command("remap.server.exportVariant", uri, "SmallNet", child)
    assert again["path"] == variant["path"]


async def test_command_bad_arguments(env: Env) -> None:
    uri = env.uri("exported_model.py")
    cases = [
        (("remap.server.showOnMap",), "arguments"),
        (("remap.server.ablate", "http://example.com/a.py", "A"), "arguments[0]"),
        (("remap.server.vary", uri, "Nope"), "arguments[1]"),
        (("remap.server.train", env.uri("residual.py"), "ResidualNet"), "cannot be mapped"),
        (("remap.server.exportVariant", uri, "SmallNet", 99999), "arguments[2]"),
        (("remap.server.exportVariant", uri, "SmallNet", "x"), "arguments[2]"),
        (("remap.server.showOnMap", 3, "SmallNet"), "arguments[0]"),
    ]
    from pygls.exceptions import JsonRpcException

    for (name, *args), needle in cases:
        with pytest.raises(JsonRpcException) as info:
            await env.client.command(name, *args)
        assert info.value.code == -32602, (name, args, info.value.message)
        assert needle in info.value.message, (needle, info.value.message)
