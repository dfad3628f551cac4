"""Segment changes through the admin use case: validated against the whole set, versioned, re-evaluated."""

import pytest

from leadwire.admin.segments import InvalidDefinition, SegmentAdmin, SegmentExists, SegmentInUse
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.dal.definition_store import DefinitionConflict

from .conftest import segment


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"all": [{"score": {"gte": 1}}, {"score": {"great": 1}}]}, "condition.all[1].score.great"),
        (
            {"all": [{"score": {"gte": 1}}, {"performed": {"event": "x", "within": "1 day"}}]},
            "condition.all[1].performed.within",
        ),
        ({"any": [{"in_segment": "nowhere"}]}, "condition.any[0].in_segment"),
        ({"not": {"visited": {"page": "/"}}}, "condition.not.visited"),
        ({"trait": {"name": "plan", "eq": "pro", "shiny": True}}, "condition.trait.shiny"),
    ],
)
def test_create_refuses_an_invalid_definition_with_the_path_inside_the_segment(
    segments: SegmentAdmin, store, condition, path
):
    # Given a definition with one problem deep in its condition
    # When it is created
    with pytest.raises(InvalidDefinition) as refused:
        segments.create(segment("bad", condition=condition))
    # Then the problem's path is relative to the segment, and nothing was stored
    assert refused.value.status == 400
    assert [(p["path"], p["segmentId"]) for p in refused.value.details["problems"]] == [(path, "bad")]
    assert store.puts == []


@pytest.mark.parametrize(("field", "document"), [("id", {"name": "No id"}), ("name", {"id": "nameless"})])
def test_create_names_a_missing_required_field(segments: SegmentAdmin, field, document):
    with pytest.raises(InvalidDefinition) as refused:
        segments.create({**document, "condition": {"score": {"gte": 1}}})
    assert [p["path"] for p in refused.value.details["problems"]] == [field]


@pytest.mark.parametrize("existing", ["hot", "docs"])
def test_create_with_an_id_that_exists_is_a_conflict(segments: SegmentAdmin, existing):
    # Given a config segment "hot" and an API segment "docs"
    segments.create(segment("docs"))
    # When either id is created again
    with pytest.raises(SegmentExists) as refused:
        segments.create(segment(existing))
    # Then 409
    assert refused.value.status == 409


def test_create_stores_version_one_invalidates_definitions_and_starts_a_job(
    segments: SegmentAdmin, store, source, jobs
):
    created = segments.create(segment("docs"))
    assert store.puts == [("docs", segment("docs"), 0)]
    assert (created.source, created.version, created.job.job_id) == ("api", 1, "job-1")
    assert source.invalidations >= 1
    assert jobs.reasons == ["segment docs created"]


def test_a_deleted_segment_can_be_created_again(segments: SegmentAdmin, store):
    # Given "hot" deleted (a tombstone at version 1)
    segments.delete("hot")
    # When it is created again
    created = segments.create(segment("hot"))
    # Then its versions continue from the tombstone's
    assert created.version == 2


def test_replace_with_a_different_id_in_the_body_is_refused(segments: SegmentAdmin, store):
    with pytest.raises(InvalidRequest) as refused:
        segments.replace("hot", segment("cold"), expected_version=None)
    assert (refused.value.status, refused.value.details) == (400, {"field": "id"})
    assert store.puts == []


def test_replace_takes_the_id_from_the_path(segments: SegmentAdmin):
    replaced = segments.replace("hot", {"name": "Hotter", "condition": {"score": {"gte": 60}}}, None)
    assert (replaced.id, replaced.name, replaced.version) == ("hot", "Hotter", 1)


@pytest.mark.parametrize("stale", [0, 5])
def test_replace_with_a_stale_version_is_a_conflict(segments: SegmentAdmin, stale):
    # Given "docs" at version 2
    segments.create(segment("docs"))
    segments.replace("docs", segment("docs", name="Docs v2"), expected_version=1)
    # When it is replaced by a client that read another version
    with pytest.raises(DefinitionConflict) as refused:
        segments.replace("docs", segment("docs", name="Docs v3"), expected_version=stale)
    # Then 409
    assert refused.value.status == 409


def test_replace_that_makes_a_cycle_is_refused(segments: SegmentAdmin):
    # Given "ready" uses "pricing"
    # When "pricing" is replaced to use "ready"
    with pytest.raises(InvalidDefinition) as refused:
        segments.replace("pricing", segment("pricing", condition={"in_segment": "ready"}), None)
    # Then the cycle is reported at the in_segment that closes it
    (problem,) = refused.value.details["problems"]
    assert problem["path"].endswith("in_segment")
    assert "cycle" in problem["message"]


@pytest.mark.parametrize(
    "change",
    [
        lambda segments: segments.get("nowhere"),
        lambda segments: segments.replace("nowhere", segment("nowhere"), None),
        lambda segments: segments.delete("nowhere"),
    ],
    ids=["get", "replace", "delete"],
)
def test_unknown_segment_is_not_found(segments: SegmentAdmin, change):
    with pytest.raises(NotFound):
        change(segments)


def test_delete_of_a_segment_that_others_use_is_refused_naming_them(segments: SegmentAdmin, store):
    with pytest.raises(SegmentInUse) as refused:
        segments.delete("pricing")
    assert refused.value.status == 409
    assert refused.value.details["problems"] == [
        {"path": "condition.all[0].in_segment", "message": "unknown segment 'pricing'", "segmentId": "ready"}
    ]
    assert store.puts == []


def test_delete_stores_a_tombstone_and_starts_a_job(segments: SegmentAdmin, store, jobs):
    job = segments.delete("hot")
    assert store.puts == [("hot", None, 0)]
    assert "hot" not in [s.id for s in segments.list()]
    assert (job.job_id, jobs.reasons) == ("job-1", ["segment hot deleted"])


def test_list_shows_where_each_segment_comes_from_and_its_version(segments: SegmentAdmin):
    # Given a config segment replaced, and one created through the API
    segments.replace("hot", segment("hot", name="Hotter"), None)
    segments.create(segment("docs"))
    # When the segments are listed
    listed = {s.id: (s.source, s.version) for s in segments.list()}
    # Then replaced and created ones come from the API, the rest from config (version 0)
    assert listed == {"hot": ("api", 1), "pricing": ("config", 0), "ready": ("config", 0), "docs": ("api", 1)}
