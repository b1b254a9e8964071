"""The one formatter of the errors the local AWS answers itself, read as botocore reads them."""
import json
from xml.etree.ElementTree import fromstring

import pytest
from botocore.parsers import create_parser

from studio_containers.localaws.server.errors import error_response, protocol_of, status_line

NASTY = "a <b> & 'c' \"d\" \x00\x01\x1b\ud800\ufffe end"
KEPT = "a <b> & 'c' \"d\"  end"


def _parsed(protocol: str, status: int, headers: dict, body: bytes) -> dict:
    return create_parser(protocol).parse(
        {"status_code": status, "headers": headers, "body": body}, None)


def test_json_errors_carry_the_code_in_the_body_and_the_header():
    status, headers, body = error_response("json", "SerializationException", NASTY)
    assert status == 400 and headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(body) == {"__type": "SerializationException", "message": NASTY}
    assert _parsed("json", status, headers, body)["Error"] == {
        "Code": "SerializationException", "Message": NASTY}


@pytest.mark.parametrize("protocol", ["query", "ec2"])
def test_xml_errors_parse_with_what_xml_cannot_hold_removed(protocol):
    status, headers, body = error_response(protocol, "Bad<Code>", NASTY,
                                           namespace="https://iam.amazonaws.com/doc/2010-05-08/")
    assert headers == {"Content-Type": "text/xml"}
    fromstring(body)
    error = _parsed(protocol, status, headers, body)["Error"]
    assert (error["Code"], error["Message"]) == ("Bad<Code>", KEPT)


def test_query_errors_name_who_is_at_fault():
    def fault(status):
        root = fromstring(error_response("query", "C", "m", status)[2])
        return root.find("Error/Type").text, root.find("RequestId").text
    assert fault(403) == ("Sender", "0")
    assert fault(507) == ("Receiver", "0")
    assert b"<Response><Errors><Error><Code>C</Code>" in error_response("ec2", "C", "m")[2]


def test_the_protocol_of_a_request_and_the_status_line():
    assert protocol_of("application/x-amz-json-1.1") == "json"
    assert protocol_of("application/x-www-form-urlencoded; charset=utf-8") == "query"
    assert protocol_of("") == "query"
    assert status_line(507) == "507 Insufficient Storage"
    with pytest.raises(ValueError, match="rest-xml"):
        error_response("rest-xml", "C", "m")
