"""Config as code, bundled at synth: the functions ship with the definitions they run.

Synth loads the config directory with the loader ``leadwire local`` uses
(``leadwire.config_loader.load_config_dir``), turns the merged document into the JSON the functions
will read, and validates exactly that JSON with the core's parsers: segments and scoring, triggers
(their segments and email templates must exist) and the email templates themselves (compiled, so a
Jinja syntax error or an unknown variable is found here, not at the first send). A bad definition
stops synth, naming the file and the path inside it, before anything reaches AWS. ``templates``
(from ``<config dir>/templates/<id>.yaml``) and ``delivery`` travel in the bundle as they are.

The function code is then staged without Docker: ``functions/leadwire`` minus the local runtime and
bytecode, plus ``leadwire/bundled_config.json``, plus the pure-Python packages the functions need
that the Powertools layer does not carry (``VENDORED_PACKAGES``: Jinja2 and MarkupSafe, whose C
speedups are left out so the same files run on any Lambda architecture; MarkupSafe falls back to
its pure-Python escape; and tzdata, because Lambda's Amazon Linux 2023 images have no zone files
and quiet hours and anniversaries need them), in ``<cdk.out>/.lambda-staging/<content hash>/``;
the Lambda asset is that directory. Functions find the bundle through ``CONFIG_PATH``.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from leadwire.config_loader import (
    CONFIG_SUFFIXES,
    ConfigError,
    definitions_of,
    load_config_dir,
    sms_templates_of,
    template_origins,
    templates_of,
    triggers_of,
)
from leadwire.core.email.templates import TemplateDefinitionError
from leadwire.core.rules import DefinitionError, Problem
from leadwire.core.rules.errors import format_path
from leadwire.core.secret_reference import is_reference
from leadwire.core.sms.templates import SmsTemplateError
from leadwire.core.triggers.models import REFERENCE_FIELDS

BUNDLED_CONFIG: Final = "leadwire/bundled_config.json"
LAMBDA_TASK_ROOT: Final = "/var/task"
CONFIG_PATH: Final = f"{LAMBDA_TASK_ROOT}/{BUNDLED_CONFIG}"
STAGING_DIR: Final = ".lambda-staging"

# What never ships to Lambda: the local runtime (moto, HTTP server) and build leftovers.
EXCLUDED_SUBPACKAGES: Final = ("local",)
EXCLUDED_NAMES: Final = ("__pycache__", "*.pyc", "*.egg-info")
# Third-party pure-Python packages shipped inside the asset (not in the Powertools layer), and
# what of them never ships: compiled speedups built for this machine, their C sources and stubs.
VENDORED_PACKAGES: Final = ("jinja2", "markupsafe", "tzdata")
VENDORED_EXCLUDED: Final = ("*.so", "*.pyd", "*.c", "*.pyi")

_SEGMENT_REF: Final = re.compile(r"\bsegments\[(\d+)\]")


class ConfigBundleError(ValueError):
    """The config directory cannot be bundled; the message names each file and problem."""


@dataclass(frozen=True)
class _FileSections:
    path: Path
    segments: int
    scoring: bool


def load_bundled_config(directory: Path) -> dict[str, Any]:
    """The merged config of ``directory`` exactly as the functions will read it, validated."""
    try:
        document = load_config_dir(directory)
    except ConfigError as exc:
        raise ConfigBundleError(f"config directory {directory}: {exc}") from None
    bundled: dict[str, Any] = json.loads(_bundle_json(document, directory))
    problems: list[str] = []
    try:
        templates_of(bundled)
    except TemplateDefinitionError as exc:
        problems.extend(_describe_templates(directory, exc.problems))
    try:
        sms_templates_of(bundled)
    except SmsTemplateError as exc:
        problems.extend(f"{problem['path']}: {problem['message']}" for problem in exc.problems)
    try:
        definitions = definitions_of(bundled)  # segments, scoring and the visit gap
        triggers_of(bundled, definitions)
    except DefinitionError as exc:  # trigger problems too (TriggerDefinitionError is one)
        problems.extend(_describe(directory, exc.problems))
    if problems:
        raise ConfigBundleError(
            f"config directory {directory} has invalid definitions:\n  " + "\n  ".join(problems)
        )
    return bundled


def webhook_secret_references(bundled: Mapping[str, Any]) -> list[str]:
    """Every reference the bundled triggers' actions name (webhook ``secret`` and ``url``, Slack
    ``url``, HubSpot ``token``), to grant exactly those."""
    references: set[str] = set()
    for trigger in bundled.get("triggers") or []:
        arms = [trigger.get("actions") or []] + [
            v.get("actions") or [] for v in trigger.get("variants") or []
        ]
        for actions in arms:
            for action in actions:
                if not isinstance(action, dict):
                    continue
                references.update(
                    str(action[key])
                    for key in REFERENCE_FIELDS.get(str(action.get("type")), ())
                    if isinstance(action.get(key), str) and is_reference(str(action[key]))
                )
    return sorted(references)


def _bundle_json(document: Mapping[str, Any], directory: Path) -> str:
    """Compact JSON; YAML dates and timestamps become ISO 8601 strings, anything else is refused."""
    try:
        return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_iso_date)
    except TypeError as exc:
        raise ConfigBundleError(f"config directory {directory}: {exc}") from None


def _iso_date(value: object) -> str:
    if isinstance(value, datetime.date):  # datetime.datetime included
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} value ({value!r}) has no JSON form")


def _describe(directory: Path, problems: Sequence[Problem]) -> list[str]:
    files = _sections_per_file(directory)
    return [
        f"{_locate(problem, files, directory)}: "
        + _SEGMENT_REF.sub(lambda ref: _segment_ref(int(ref[1]), files), problem["message"])
        for problem in problems
    ]


def _describe_templates(directory: Path, problems: Sequence[Problem]) -> list[str]:
    """``templates.welcome.html`` -> ``<dir>/templates/welcome.yaml: html`` (a template file) or
    ``<dir>/mail.yaml: templates.welcome.html`` (a ``templates:`` section of a config file)."""
    origins = template_origins(directory)
    lines = []
    for problem in problems:
        loc = problem["loc"]  # ("templates", template id, part...)
        template_id = loc[1] if len(loc) > 1 and loc[0] == "templates" else None
        origin = origins.get(template_id) if isinstance(template_id, str) else None
        if origin and origin.startswith("templates/"):
            inside = ".".join(map(str, loc[2:])) or "(template)"
            lines.append(f"{directory / origin}: {inside}: {problem['message']}")
        elif origin:
            lines.append(f"{directory / origin}: {problem['path']}: {problem['message']}")
        else:
            lines.append(f"{directory}: {problem['path']}: {problem['message']}")
    return lines


def _locate(problem: Problem, files: Sequence[_FileSections], directory: Path) -> str:
    """``segments[7].condition`` of the merged document -> ``<dir>/b.yaml: segments[2].condition``
    (the location's merged index swapped for the file's own)."""
    loc, path = problem["loc"], problem["path"]
    if len(loc) > 1 and loc[0] == "segments" and isinstance(loc[1], int):
        found = _segment_origin(loc[1], files)
        if found:
            sections, index = found
            return f"{sections.path}: {format_path(('segments', index, *loc[2:]))}"
    if loc and loc[0] == "scoring":
        for sections in files:
            if sections.scoring:
                return f"{sections.path}: {path}"
    return f"{directory}: {path}"


def _segment_ref(merged_index: int, files: Sequence[_FileSections]) -> str:
    """A ``segments[i]`` mentioned in a message (e.g. "first at segments[0]") -> ``a.yaml segments[0]``."""
    found = _segment_origin(merged_index, files)
    return f"{found[0].path.name} segments[{found[1]}]" if found else f"segments[{merged_index}]"


def _segment_origin(merged_index: int, files: Sequence[_FileSections]) -> tuple[_FileSections, int] | None:
    index = merged_index
    for sections in files:
        if index < sections.segments:
            return sections, index
        index -= sections.segments
    return None


def _sections_per_file(directory: Path) -> list[_FileSections]:
    """What each config file contributes to the merge, in merge order.

    Each file goes through ``load_config_dir`` on its own (a scratch directory holding only a link
    to it), so problems are attributed by the same parser that merged the files. Runs only when
    validation has already failed.
    """
    found = []
    with tempfile.TemporaryDirectory(prefix="leadwire-config-") as scratch:
        for path in sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES):
            link = Path(scratch) / path.name
            link.symlink_to(path.resolve())
            document = load_config_dir(Path(scratch))
            link.unlink()
            found.append(_FileSections(path, len(document["segments"]), "scoring" in document))
    return found


def stage_function_code(functions_dir: Path, outdir: Path, bundled_config: Mapping[str, Any]) -> Path:
    """Stage the ``leadwire`` package, its config bundle and the vendored packages; returns the
    directory to use as the asset.

    The directory name is a hash of everything in it, so synthesising twice reuses it and the
    asset hash changes exactly when the code, the vendored packages or the definitions do.
    """
    files = _asset_files(functions_dir / "leadwire")
    config = json.dumps(bundled_config, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    digest = hashlib.sha256()
    for relative, source in files:
        data = source.read_bytes()
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    digest.update(f"{BUNDLED_CONFIG}\0{len(config)}\0".encode())
    digest.update(config)

    root = outdir / STAGING_DIR
    target = root / digest.hexdigest()[:32]
    root.mkdir(parents=True, exist_ok=True)
    if not target.is_dir():
        scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
        for relative, source in files:
            _write(scratch / relative, source.read_bytes())
        _write(scratch / BUNDLED_CONFIG, config)
        _make_world_readable(scratch)
        try:
            scratch.rename(target)
        except OSError:  # staged concurrently by another synth of the same content
            shutil.rmtree(scratch)
    for stale in root.iterdir():
        if stale != target and not stale.name.startswith(".partial-"):
            shutil.rmtree(stale, ignore_errors=True)
    return target


def _asset_files(package: Path) -> list[tuple[str, Path]]:
    """(path in the asset, source file) of everything that ships, sorted by asset path."""
    files = [(f"leadwire/{relative}", package / relative) for relative in _lambda_files(package)]
    for name in VENDORED_PACKAGES:
        files.extend(_vendored_files(name))
    return sorted(files)


def _vendored_files(name: str) -> Iterator[tuple[str, Path]]:
    """A vendored package's files as installed here (the lockfile's version), and its licence."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigBundleError(f"{name} is not installed: run make setup (the functions need it)")
    location = Path(next(iter(spec.submodule_search_locations)))
    for relative in _lambda_files(location, extra_excluded=VENDORED_EXCLUDED):
        yield f"{name}/{relative}", location / relative
    for file in metadata.distribution(name).files or []:
        if file.name.upper().startswith(("LICENSE", "LICENCE")):
            yield f"{name}/{file.name}", Path(str(file.locate()))


def _lambda_files(package: Path, extra_excluded: Sequence[str] = ()) -> Iterator[str]:
    """Paths (relative to ``package``, POSIX) of every file that ships to Lambda."""
    for current, dirs, names in os.walk(package):
        here = Path(current)
        dirs[:] = sorted(
            d for d in dirs if not _excluded(d) and not (here == package and d in EXCLUDED_SUBPACKAGES)
        )
        for name in names:
            if not _excluded(name, extra_excluded):
                yield (here / name).relative_to(package).as_posix()


def _excluded(name: str, extra: Sequence[str] = ()) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in (*EXCLUDED_NAMES, *extra))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _make_world_readable(root: Path) -> None:
    # Lambda runs the code as a non-root user: whatever the local umask, it must be able to read it.
    root.chmod(0o755)
    for current, dirs, names in os.walk(root):
        for name in dirs:
            (Path(current) / name).chmod(0o755)
        for name in names:
            (Path(current) / name).chmod(0o644)
