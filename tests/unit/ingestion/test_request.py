"""Body decoding, limits and write-key extraction."""

import base64
import gzip
import json

import pytest

from leadwire.core.errors import InvalidJson, InvalidRequest, PayloadTooLarge
from leadwire.core.tracking import MAX_BATCH_BYTES
from leadwire.ingestion.request import basic_auth_user, decode_body, endpoint_kind, parse_json_object


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_plain_json_body_is_returned_as_bytes():
    assert decode_body('{"a":1}', is_base64=False, content_encoding=None) == b'{"a":1}'


def test_gzip_body_is_inflated():
    payload = json.dumps({"batch": []}).encode()
    assert decode_body(b64(gzip.compress(payload)), is_base64=True, content_encoding="gzip") == payload


def test_gzip_is_detected_by_magic_bytes_without_a_header():
    payload = b'{"x":1}'
    assert decode_body(b64(gzip.compress(payload)), is_base64=True, content_encoding=None) == payload


def test_gzip_bomb_stops_at_the_limit():
    # Given 100 MB of zeros compressed to ~100 KB
    bomb = gzip.compress(b"0" * (100 * 1024 * 1024))
    # When decoded, Then it is refused as too large without inflating it whole
    with pytest.raises(PayloadTooLarge) as caught:
        decode_body(b64(bomb), is_base64=True, content_encoding="gzip")
    assert caught.value.details["limit"] == MAX_BATCH_BYTES


def test_body_over_500_kb_is_refused():
    with pytest.raises(PayloadTooLarge):
        decode_body("x" * (MAX_BATCH_BYTES + 1), is_base64=False, content_encoding=None)


def test_corrupt_gzip_is_a_clear_client_error():
    with pytest.raises(InvalidRequest, match="not valid gzip"):
        decode_body(b64(b"\x1f\x8bnot really gzip"), is_base64=True, content_encoding="gzip")


def test_unknown_content_encoding_is_refused():
    with pytest.raises(InvalidRequest, match="br"):
        decode_body("abc", is_base64=False, content_encoding="br")


def test_empty_body_is_invalid_json():
    with pytest.raises(InvalidJson):
        decode_body("", is_base64=False, content_encoding=None)


@pytest.mark.parametrize("raw", [b"{bad", b"[1,2]", b"\xff\xfe"])
def test_non_object_json_is_refused(raw):
    with pytest.raises(InvalidJson):
        parse_json_object(raw)


def test_basic_auth_username_is_the_write_key():
    header = "Basic " + b64(b"my-key:")
    assert basic_auth_user({"authorization": header}) == "my-key"


@pytest.mark.parametrize("header", [None, "Bearer abc", "Basic !!!", "Basic " + b64(b":pw")])
def test_missing_or_unusable_basic_auth_gives_no_key(header):
    assert basic_auth_user({"authorization": header} if header else {}) is None


@pytest.mark.parametrize(
    ("segment", "kind"), [("t", "track"), ("b", "batch"), ("import", "batch"), ("page", "page")]
)
def test_short_paths_map_to_endpoints(segment, kind):
    assert endpoint_kind(segment) == kind


def test_unknown_endpoint_is_refused():
    with pytest.raises(InvalidRequest, match="/v1/launch"):
        endpoint_kind("launch")
