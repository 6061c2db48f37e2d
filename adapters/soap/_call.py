"""One SOAP operation made callable with pydantic models: the `invoke` of an Operation."""

from __future__ import annotations

from typing import Any

import structlog
from pydantic import BaseModel, ValidationError
from zeep.helpers import serialize_object

from adapters import CallContext, InvalidRequest, LegacyUnavailable
from adapters.soap._faults import classify
from adapters.soap._mapping import CanonicalMapper
from adapters.soap._models import HEADER_FIELD, MessageShape

log = structlog.get_logger("civicbus.adapter.soap")


class SoapCall:
    """Calls `operation` on a zeep service proxy; one call, no retries (the Guard retries)."""

    def __init__(
        self,
        *,
        service: Any,
        operation: str,
        where: str,
        request_shape: MessageShape,
        response_shape: MessageShape,
        wsdl_request: type[BaseModel],
        response: type[BaseModel],
        static_headers: dict[str, Any],
        mapper: CanonicalMapper | None = None,
    ) -> None:
        self._service = service
        self._operation = operation
        self._where = where
        self._request_shape = request_shape
        self._response_shape = response_shape
        self._wsdl_request = wsdl_request
        self._response = response
        self._static_headers = static_headers
        self._mapper = mapper

    def __call__(self, request: BaseModel, context: CallContext) -> BaseModel:
        args, kwargs = self._arguments(request)
        try:
            result = self._service[self._operation](*args, **kwargs)
        except Exception as exc:  # every zeep/requests error is classified
            raise classify(exc, self._where) from exc
        data = self._result_data(result)
        if self._mapper is not None:
            data = self._mapper.response(data)
        try:
            return self._response.model_validate(data)
        except ValidationError as exc:
            raise LegacyUnavailable(
                f"{self._where} answered {self._operation} with a reply that does not fit "
                f"the response schema: {exc.errors(include_url=False)}; the WSDL and the "
                "service disagree, ask its operators or correct the vendored WSDL",
                detail=data,
            ) from exc

    def _arguments(self, request: BaseModel) -> tuple[list[Any], dict[str, Any]]:
        values = request.model_dump(by_alias=True)
        if self._mapper is not None:
            values = self._mapper.request(values)
            try:
                values = self._wsdl_request.model_validate(values).model_dump(by_alias=True)
            except ValidationError as exc:
                raise InvalidRequest(
                    f"{self._operation}: the canonical request maps to WSDL values that do "
                    f"not fit: {exc.errors(include_url=False)}; fix the request or the "
                    "mapping's request_fields"
                ) from exc
        header = values.pop(HEADER_FIELD, None)
        kwargs: dict[str, Any] = {}
        if self._request_shape.has_header:
            headers = {
                **self._static_headers,
                **{k: v for k, v in (header or {}).items() if v is not None},
            }
            if headers:
                kwargs["_soapheaders"] = headers
        if self._request_shape.bare is not None:
            return [values.get(self._request_shape.bare)], kwargs
        kwargs.update({k: v for k, v in values.items() if v is not None})
        return [], kwargs

    def _result_data(self, result: Any) -> dict[str, Any]:
        """Undo zeep's convenience unwrapping so the reply has the response model's shape."""
        shape = self._response_shape
        if result is None:
            return {}
        if shape.has_header:
            body = serialize_object(getattr(result, "body", result), dict)
            return body if isinstance(body, dict) else {}
        plain = serialize_object(result, dict)
        if shape.bare is not None:
            return {shape.bare: plain}
        if len(shape.fields) == 1:
            field = shape.fields[0]
            children = dict(shape.single_child)
            if field in children:
                return {field: {children[field]: plain}}
            return {field: plain}
        return plain if isinstance(plain, dict) else {}
