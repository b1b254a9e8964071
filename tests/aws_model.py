"""Checks raw AWS responses against botocore's service model (the shapes AWS publishes).

boto3's parser drops members it does not know and coerces types, so the check reads the raw JSON
body: a missing required member, a wrong type or an unknown member all count as errors.
"""
import json

import botocore.session
from botocore.validate import ParamValidator


def service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def response_errors(operation_model, body: bytes) -> list[str]:
    data = json.loads(body or b"{}")
    shape = operation_model.output_shape
    if shape is None:
        return [f"unexpected members {sorted(data)}"] if data else []
    report = ParamValidator().validate(data, shape)
    return report.generate_report().splitlines() if report.has_errors() else []


def request_errors(operation_model, params: dict) -> list[str]:
    report = ParamValidator().validate(params, operation_model.input_shape)
    return report.generate_report().splitlines() if report.has_errors() else []


class RawResponses:
    """Records the raw body of every response a client receives, by operation name."""

    def __init__(self, client):
        self.bodies: list[tuple[str, bytes]] = []
        client.meta.events.register("before-parse", self._record)

    def _record(self, operation_model, response_dict, **_):
        self.bodies.append((operation_model.name, response_dict["body"]))
