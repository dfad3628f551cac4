"""Email templates at synth: bundled with the config, validated (a bad one stops synth naming its
file), and runnable in Lambda (Jinja2 and MarkupSafe ship inside the code asset)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from leadwire.config_loader import load_config_dir
from leadwire_infra.application import REPO_ROOT
from leadwire_infra.config_bundle import (
    BUNDLED_CONFIG,
    ConfigBundleError,
    load_bundled_config,
    stage_function_code,
)
from leadwire_infra.lambda_factory import FUNCTIONS_DIR
from tests.infrastructure.infra_template import INGESTION_HANDLER, Resources, asset_dir

DEFAULT_TEMPLATES = [
    "birthday",
    "cart-reminder",
    "cart-reminder-discount",
    "trial-activation-tips",
    "we-miss-you",
    "welcome",
]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_asset_bundle_holds_the_default_templates(outdir: Path, resources: Resources) -> None:
    # Given config/default/templates
    # When the code asset is staged
    # Then the bundle the functions read holds every template as written
    asset = asset_dir(outdir, resources, INGESTION_HANDLER)
    bundled = json.loads((asset / BUNDLED_CONFIG).read_text(encoding="utf-8"))
    assert sorted(bundled["templates"]) == DEFAULT_TEMPLATES
    assert bundled["templates"] == load_config_dir(REPO_ROOT / "config" / "default")["templates"]


def test_the_asset_carries_jinja2_without_compiled_speedups(outdir: Path, resources: Resources) -> None:
    # Given the Powertools layer has no Jinja2
    # When the code asset is staged
    # Then Jinja2 and MarkupSafe are in it as pure Python, with their licences
    asset = asset_dir(outdir, resources, INGESTION_HANDLER)
    files = {p.relative_to(asset).as_posix() for p in asset.rglob("*") if p.is_file()}
    assert {
        "jinja2/__init__.py",
        "jinja2/sandbox.py",
        "markupsafe/__init__.py",
        "markupsafe/_native.py",
    } <= files
    assert {"jinja2/LICENSE.txt", "markupsafe/LICENSE.txt"} <= files
    assert [f for f in files if f.endswith((".so", ".pyd", ".c", ".pyc"))] == []


def test_templates_render_from_the_staged_asset_alone(tmp_path: Path) -> None:
    # Given a staged asset
    staged = stage_function_code(
        FUNCTIONS_DIR, tmp_path, load_bundled_config(REPO_ROOT / "config" / "default")
    )
    # When a fresh interpreter with only the asset (and pydantic, as the layer gives) renders a template
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(staged)!r})\n"
        "import jinja2, markupsafe\n"
        f"assert jinja2.__file__.startswith({str(staged)!r}), jinja2.__file__\n"
        "from leadwire.config_loader import load_json_config, templates_of\n"
        "from leadwire.core.email.templates import email_context\n"
        "from pathlib import Path\n"
        f"document = load_json_config(Path({str(staged / BUNDLED_CONFIG)!r}))\n"
        "ctx = email_context('l', {'first_name': '<b>Ana</b>'}, {}, 't', 'd', None)\n"
        "print(templates_of(document)['welcome'].render(ctx).html)\n"
    )
    site = [p for p in sys.path if p.endswith("site-packages")]
    # The venv's site-packages stays for pydantic and boto3, but after the asset: Jinja2 comes from it
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path.extend({site!r})\n" + script],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "&lt;b&gt;Ana&lt;/b&gt;" in result.stdout


def test_time_zones_resolve_from_the_staged_asset_without_system_zone_files(tmp_path: Path) -> None:
    # Given a staged asset, and an interpreter that is told there are no system zone files (as on
    # Lambda's Amazon Linux 2023 images, which ship none)
    staged = stage_function_code(
        FUNCTIONS_DIR, tmp_path, load_bundled_config(REPO_ROOT / "config" / "default")
    )
    script = (
        "import sys, zoneinfo\n"
        f"sys.path.insert(0, {str(staged)!r})\n"
        "zoneinfo.reset_tzpath(to=[])\n"
        "import tzdata\n"
        f"assert tzdata.__file__.startswith({str(staged)!r}), tzdata.__file__\n"
        "from datetime import datetime\n"
        "print(datetime(2026, 11, 24, tzinfo=zoneinfo.ZoneInfo('Asia/Tokyo')).utcoffset())\n"
    )
    # When it resolves the zones quiet hours and anniversaries use
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, check=False
    )
    # Then the vendored tzdata answers
    assert result.returncode == 0, result.stderr
    assert "tzdata/LICENSE" in {p.relative_to(staged).as_posix() for p in staged.rglob("LICENSE*")} or any(
        p.name.upper().startswith("LICEN") for p in (staged / "tzdata").iterdir()
    )


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"templates/welcome.yaml": "subject: Hi\ntext: '{{ traits.first_name }'\nhtml: <p>Hi</p>\n"},
            r"templates/welcome\.yaml: text: line 1: unexpected '}'",
        ),
        (
            {"templates/welcome.yaml": "subject: Hi\ntext: Hello\n"},
            r"templates/welcome\.yaml: html: required",
        ),
        (
            {"mail.yaml": "templates:\n  promo: {subject: Hi, text: '{{ trait.x }}', html: h}\n"},
            r"mail\.yaml: templates\.promo\.text: unknown variable\(s\) trait",
        ),
        (
            {
                "templates/welcome.yaml": "subject: Hi\ntext: Hello\nhtml: <p>Hi</p>\n",
                "triggers.yaml": (
                    "triggers:\n  - {id: t, on: {event: x}, actions: [{type: email, template: welcom}]}\n"
                ),
            },
            r"triggers\[0\]\.actions\[0\]\.template: unknown template 'welcom'; known: welcome",
        ),
    ],
    ids=["syntax", "missing-part", "section-unknown-variable", "unknown-template-in-trigger"],
)
def test_a_bad_template_stops_synth_naming_its_file(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    with pytest.raises(ConfigBundleError, match=expected):
        load_bundled_config(tmp_path)


def test_delivery_travels_in_the_bundle(tmp_path: Path) -> None:
    _write(tmp_path / "delivery.yaml", "delivery:\n  quiet_hours: {start: '21:00', end: '08:00'}\n")
    assert load_bundled_config(tmp_path)["delivery"] == {"quiet_hours": {"start": "21:00", "end": "08:00"}}
