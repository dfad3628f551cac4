"""The leadwire commands against a deployed stack (--stack): the stack's ApiUrl, every call signed
with SigV4 for execute-api with the caller's credentials."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest

from leadwire.local.cli import main


class Api(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self):
        Api.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = json.dumps({"triggers": [{"id": "ping", "name": "Ping", "on": {"event": "signup"}}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Stacks:
    """CloudFormation's DescribeStacks for one stack and its outputs."""

    def __init__(self, name, outputs):
        self.name, self.outputs = name, outputs

    def describe_stacks(self, StackName):
        if StackName != self.name:
            error = {
                "Error": {"Code": "ValidationError", "Message": f"Stack with id {StackName} does not exist"}
            }
            raise boto3.session.botocore.exceptions.ClientError(error, "DescribeStacks")
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": outputs}]}


@pytest.fixture
def stack(monkeypatch, api):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setattr(
        boto3.Session, "client", lambda self, name, **_: Stacks("Leadwire", {"ApiUrl": api + "/"})
    )


@pytest.fixture
def api():
    server = HTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Api.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_triggers_list_against_a_stack_is_signed_for_execute_api(stack, capsys):
    code = main(["triggers", "--stack", "Leadwire", "--region", "eu-west-1", "--json", "list"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["triggers"][0]["id"] == "ping"
    (request,) = Api.seen
    assert request["path"] == "/triggers"
    assert request["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in request["authorization"]
    assert "x-amz-date" in request


def test_an_unknown_stack_exits_2_naming_it(stack, capsys):
    assert main(["leads", "--stack", "Nope", "--region", "eu-west-1", "show", "u1"]) == 2
    assert "Nope" in capsys.readouterr().err
