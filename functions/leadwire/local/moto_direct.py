"""A shortcut for ``leadwire local``'s DynamoDB, Step Functions and EventBridge calls: straight into
moto, without the HTTP leg.

With moto, every boto3 call is serialized by botocore, then *sent*: the request is created,
its user agent built, signed with SigV4, passed through botocore's send events to moto's
stubber, which matches the URL against every mocked service's patterns before it reaches the
DynamoDB handler; the answer comes back through the retry checks. For DynamoDB, which a replay
calls five times per event, that leg costs more than moto's own work (a ``put_item``: about 1,000
a second through boto3 here, 1,650 with this shortcut; ``leadwire bench`` reports both rates).

The shortcut answers botocore's ``before-call`` event of those three services (all three speak
the JSON protocol), which comes after parameter validation and serialization, by handing the
serialized request to moto's own handler of the service and parsing its answer with botocore's
own JSON parser, modeled error fields included: the
client raises the same exceptions with the same ``response`` as it would over the stubber. It is
registered with botocore's built-in handlers (so the sessions ``mock_aws`` creates pick it up),
only by ``leadwire local``, only on the moto version it was read against
(``moto_query.PINNED_MOTO_VERSION``), and answers nothing once uninstalled.
``tests/integration/test_moto_direct.py`` checks that answers and errors are the same both ways.
Step Functions joined later: a local timer makes three calls per execution (start, describe,
history), and their HTTP leg cost more than moto's interpreter running the execution.

Three more costs of moto's own layer are skipped on the same pin: a successful answer (a plain dict
of DynamoDB JSON, as moto's DynamoDB handler builds it) is written with ``json.dumps`` instead of
moto's model-driven serializer, which walks every attribute value as a modeled structure (a
seventh of a replay's time); errors, empty and paginated results still take moto's serializer.
The list of a handler class's methods, which moto rebuilds with ``inspect`` on every call, is
kept per class. And an item is built with one check of its size against moto's limit, where
``LimitedSizeDict`` measures the whole item again for every attribute it sets (quadratic in the
attributes, a twentieth of a replay's time); attributes are distinct and sizes not negative, so
the whole item is over the limit exactly when one of those checks would have failed.

A DynamoDB request is handed to moto's handler without building a werkzeug request from it for
``setup_class`` to take apart again (``_Handler.answer`` sets what ``setup_class`` would, from
botocore's request as it stands; a body with no blob in it is its JSON as it stands, any other
goes through moto's own parser); that request building and taking apart was a third of a call.
Its request id is drawn in one call instead of one per character. botocore's ``User-Agent`` string, which it
assembles from about seventeen parts on every call, is built once per client and set of request
features and kept.

``suspended()`` turns all of it off: ``leadwire bench`` times moto's own ``put_item`` rate, its
floor, through boto3 on moto as shipped.
"""

from __future__ import annotations

import base64
import functools
import json
import string
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlparse

import botocore.handlers
import moto
import moto.core.responses
from botocore import parsers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.context import get_context
from botocore.model import OperationModel
from botocore.useragent import UserAgentString
from moto.core.parse import PROTOCOL_PARSERS
from moto.core.request import normalize_request
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model, utcnow
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.events.responses import EventsHandler
from moto.iam.models import mark_account_as_visited
from moto.moto_api._internal import mock_random
from moto.stepfunctions.responses import StepFunctionResponse
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.http import http_date

from leadwire.local.moto_query import PINNED_MOTO_VERSION

# moto reads the account from the credential in the Authorization header; the signature itself
# is never checked. Leadwire local runs in moto's default account with the "testing" key.
_AUTHORIZATION: Final = "AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, " + (
    "SignedHeaders=host;x-amz-date, Signature=0"
)
_parser: Final = parsers.create_parser("json")
_state = {"on": False}
_JSON_HEADERS: Final = {"Content-Type": "application/x-amz-json-1.0"}
_PLAIN_RESULTS: Final = (ActionResult, DynamoResult)  # exactly these: not Empty- or PaginatedResult


def _json_default(value: Any) -> Any:
    """What moto's serializer writes for the few non-JSON values a DynamoDB answer holds."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)  # epoch seconds to the millisecond, as moto writes them
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot write {type(value).__name__} in a DynamoDB answer")


class _Handler(DynamoHandler):
    """moto's DynamoDB handler, set up from botocore's request as it stands, writing plain
    successful answers with ``json.dumps``."""

    def answer(self, action: str, url: str, headers: dict[str, str], body: bytes, region: str) -> Any:
        """``dispatch`` without building a werkzeug request to take apart again: every attribute
        ``setup_class`` sets, from what botocore's JSON request already says. (``querystring``
        stays empty: moto would fill it with the JSON body taken for a query string.)"""
        self.is_werkzeug_request = False
        self.normalized_request = None  # type: ignore[assignment]  # only read without X-Amz-Target
        self.parsed_url = urlparse(url)
        self.uri = url
        self.path = self.raw_path = self.parsed_url.path
        self.form_data = ImmutableMultiDict()
        self.raw_body = body
        self.body = body.decode("utf-8")
        self.querystring = self.data = OrderedDict()
        self.method = "POST"
        self.region = region
        self.partition = get_partition(region)
        self.uri_match = {}
        self.headers = Headers(headers)
        self.response_headers = {"server": "amazon.com", "date": http_date(utcnow())}
        self.params = _request_params(action, body)
        self.access_key = self.get_access_key()
        self.current_account = self.get_current_account()
        mark_account_as_visited(
            account_id=self.current_account, access_key=self.access_key, service="dynamodb", region=region
        )
        return self.call_action()

    @staticmethod
    def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        """moto's, for a JSON answer: the status as text and a request id of its alphabet and
        length, drawn from moto's random source in one call instead of one per character (no
        ``<RequestId>`` to replace in a JSON body)."""
        if "status" in headers:
            headers["status"] = str(headers["status"])
        headers["x-amzn-requestid"] = "".join(mock_random.choices(_REQUEST_ID_ALPHABET, k=52))
        return headers, body

    def serialized(self, action_result: ActionResult) -> Any:
        result = action_result.result
        if type(action_result) in _PLAIN_RESULTS and isinstance(result, dict):
            body = json.dumps(result, default=_json_default, separators=(",", ":"))
            return 200, {**_JSON_HEADERS, **self.response_headers}, body
        return super().serialized(action_result)


_REQUEST_ID_ALPHABET: Final = string.ascii_letters + string.digits


def _request_params(action: str, body: bytes) -> Any:
    """The request's parameters as moto's parser reads them. Its model-driven walk changes only
    blobs in a DynamoDB request (no input has a timestamp), and a blob is always a ``"B"`` or
    ``"BS"`` attribute value: a body without either is its JSON as it stands."""
    if b'"B' not in body:
        return json.loads(body)
    return _request_parser(action).parse({"body": body})


@functools.cache
def _request_parser(action: str) -> Any:
    """moto's own parser of a DynamoDB request (``BaseResponse.parse_parameters``'), per action."""
    operation = get_service_model("dynamodb").operation_model(action)
    return PROTOCOL_PARSERS["json"](operation, map_type=DynamoHandler.PROTOCOL_PARSER_MAP_TYPE)


# By botocore's service id (what its ``before-call.<id>`` events are named after).
_HANDLERS: Final[dict[str, type[BaseResponse]]] = {
    "dynamodb": _Handler,
    "sfn": StepFunctionResponse,
    "eventbridge": EventsHandler,
}
EVENTS: Final = tuple(f"before-call.{service}" for service in _HANDLERS)

_method_names = functools.cache(moto.core.responses.method_names_from_class)
_ITEM_SIZE_LIMIT: Final = 405_000  # moto's own figure (LimitedSizeDict.__setitem__)
_stock_item_init = Item.__init__


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """``Item.__init__`` with one size check for the whole item instead of one per attribute."""
    self.hash_key = hash_key
    self.range_key = range_key
    built = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(built)
    size = 0
    for key, value in attrs.items():
        typed = DynamoType(value)
        dict.__setitem__(built, key, typed)
        size += bytesize(key) + typed.size()
    if size > _ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = built


_stock_user_agent = UserAgentString.to_string
_user_agents: weakref.WeakKeyDictionary[UserAgentString, dict[Any, str]] = weakref.WeakKeyDictionary()


def _user_agent(self: UserAgentString) -> str:
    """``UserAgentString.to_string``, built once per client and set of features in use (the only
    part that changes between calls: botocore adds features to the request context)."""
    context = get_context()
    features = frozenset(context.features) if context is not None else frozenset()
    key = (id(self._client_config), features, frozenset(self._client_features or ()))
    built = _user_agents.setdefault(self, {})
    text = built.get(key)
    if text is None:
        text = built[key] = _stock_user_agent(self)
    return text


def _patch_moto(on: bool) -> None:
    moto.core.responses.method_names_from_class = _method_names if on else _method_names.__wrapped__
    Item.__init__ = _item_init if on else _stock_item_init  # type: ignore[method-assign]
    UserAgentString.to_string = _user_agent if on else _stock_user_agent


class _Body:
    """The raw stream ``AWSResponse`` wants, over bytes already in memory."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _answer(model: OperationModel, params: dict[str, Any], context: dict[str, Any], **_: Any) -> Any:
    if not _state["on"]:
        return None  # uninstalled: the call takes the usual way
    service = model.service_model
    handler = _HANDLERS[service.service_id.hyphenize()]
    region = context.get("client_region") or "us-east-1"
    headers = dict(params["headers"])
    headers["Authorization"] = _AUTHORIZATION.format(region=region, service=service.signing_name)
    body = params["body"].encode() if isinstance(params["body"], str) else params["body"]
    url = params["url"]
    if handler is _Handler:
        status, answer_headers, answer = _Handler().answer(model.name, url, headers, body, region)
        return _parsed(model, url, status, answer_headers, answer)
    request = AWSPreparedRequest(method="POST", url=url, headers=headers, body=body, stream_output=False)
    normalized = normalize_request(request)
    status, answer_headers, answer = handler.dispatch(normalized, normalized.raw_url, normalized.headers)
    return _parsed(model, url, status, answer_headers, answer)


def _parsed(model: OperationModel, url: str, status: int, answer_headers: Any, answer: Any) -> Any:
    """What botocore's endpoint makes of moto's answer: the raw response and its parsed dict."""
    raw = answer.encode() if isinstance(answer, str) else answer
    response = {
        "status_code": status,
        "headers": HTTPHeaders.from_dict(answer_headers),
        "body": raw,
        "context": {"operation_name": model.name},
    }
    parsed = _parser.parse(response, model.output_shape)
    if status >= 300:  # as botocore's endpoint does: the error's modeled fields (e.g. Item)
        code = parsed.get("Error", {}).get("Code")
        error_shape = model.service_model.shape_for_error_code(code) if code else None
        if error_shape is not None:
            parsed.update(_parser.parse(response, error_shape))
    return AWSResponse(url, status, HTTPHeaders.from_dict(answer_headers), _Body(raw)), parsed


def install() -> bool:
    """Register the shortcut for sessions created from now on (``mock_aws`` creates its own);
    False, and nothing registered, on another moto version."""
    if moto.__version__ != PINNED_MOTO_VERSION:
        return False
    for event in EVENTS:
        if (event, _answer) not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append((event, _answer))
    _patch_moto(True)
    _state["on"] = True
    return True


def uninstall() -> None:
    """Clients created meanwhile keep the handler, which now answers nothing."""
    _state["on"] = False
    _patch_moto(False)
    for event in EVENTS:
        if (event, _answer) in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.remove((event, _answer))


def installed() -> bool:
    return _state["on"]


@contextmanager
def suspended() -> Iterator[None]:
    """Calls inside take the usual way on moto as shipped (``leadwire bench`` times moto's floor
    through boto3)."""
    was = _state["on"]
    _state["on"] = False
    _patch_moto(False)
    try:
        yield
    finally:
        _state["on"] = was
        _patch_moto(was)
