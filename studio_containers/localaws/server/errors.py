"""AWS error answers, worded as each protocol words them: the one place that builds the body of
an error the local AWS answers itself (the server's refusals, a request it cannot read, an
operation it lacks). moto's own errors stay moto's.

JSON protocol: `{"__type": code, "message": …}`. Query protocol: `<ErrorResponse><Error>` with
Type, Code and Message. EC2: `<Response><Errors><Error>`. The XML is built by ElementTree, which
escapes what it must; characters XML 1.0 cannot hold at all (most control characters, lone
surrogates), which no escaping makes readable, are removed first.
"""
import json
import re
from http import HTTPStatus
from xml.etree.ElementTree import Element, SubElement, tostring

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
XML_CONTENT_TYPE = "text/xml"
REQUEST_ID = "0"
PROTOCOLS = ("json", "query", "ec2")
# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def protocol_of(content_type: str) -> str:
    """The protocol of a request known only by its Content-Type (before it reaches a service)."""
    return "json" if "json" in content_type else "query"


def status_line(status: int) -> str:
    """`400 Bad Request`, as WSGI wants it."""
    return f"{status} {HTTPStatus(status).phrase}"


def error_response(protocol: str, code: str, message: str, status: int = 400,
                   namespace: str | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of an error; `namespace` is the service's XML namespace, if known."""
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": JSON_CONTENT_TYPE, "X-Amzn-ErrorType": code}, body
    if protocol == "ec2":
        root = Element("Response")
        error = SubElement(SubElement(root, "Errors"), "Error")
        request_id = "RequestID"
    elif protocol == "query":
        root = Element("ErrorResponse")
        error = SubElement(root, "Error")
        SubElement(error, "Type").text = "Sender" if status < 500 else "Receiver"
        request_id = "RequestId"
    else:
        raise ValueError(f"no error format for the {protocol!r} protocol")
    if namespace:
        root.set("xmlns", namespace)
    SubElement(error, "Code").text = xml_text(code)
    SubElement(error, "Message").text = xml_text(message)
    SubElement(root, request_id).text = REQUEST_ID
    return status, {"Content-Type": XML_CONTENT_TYPE}, tostring(root, encoding="unicode").encode()


def xml_text(text: str) -> str:
    """`text` without the characters an XML document cannot hold, escaped or not."""
    return _NOT_XML.sub("", text)
