"""Operations the local AWS does not implement: answered as a client error naming them.

moto raises NotImplementedError for an action it has no method for (and from inside some it only
half implements), and botocore's OperationNotFoundError for one its model lacks. In server mode
either becomes an HTML 500, which SDKs and Terraform take for a passing fault and retry. AWS
answers an operation it does not know with HTTP 400: `UnknownOperationException` in the JSON
protocol, `InvalidAction` in the query protocols. PATCHES answers that way, with a message that
names the operation, in the server process only.
"""
import logging
from typing import Callable

from botocore.model import OperationNotFoundError
from moto.core.responses import BaseResponse
from moto.core.utils import get_service_model

from .errors import error_response
from .patches import wrap

log = logging.getLogger("studio_containers.localaws.unimplemented")
CODES = {"json": "UnknownOperationException", "query": "InvalidAction", "ec2": "InvalidAction"}


def _dispatch(original: Callable) -> Callable:
    def dispatch(self: BaseResponse, request, full_url=None, headers=None):
        try:
            return original(self, request, full_url, headers)
        except (NotImplementedError, OperationNotFoundError) as exc:
            model = get_service_model(self.boto3_service_name)
            if model.protocol not in CODES:
                raise       # REST services (none of which the deploy uses) keep moto's answer
            operation = f"{self.boto3_service_name}:{self._get_action()}"
            log.warning("%s is not implemented: %s", operation, exc)
            # A query service asked in JSON (awsQueryCompatible) is answered in JSON.
            answer = "json" if self.determine_response_protocol(model) == "query-json" \
                else model.protocol
            status, answer_headers, body = error_response(
                answer, CODES[model.protocol], f"The local AWS does not implement {operation}.",
                namespace=model.metadata.get("xmlNamespace"))
            return status, {**getattr(self, "response_headers", {}), **answer_headers}, body
    return dispatch


# Inside unreadable.py's, which checks a request's types before it gets here.
PATCHES = [wrap("moto.core.responses:BaseResponse", "_dispatch", _dispatch, order=20)]
