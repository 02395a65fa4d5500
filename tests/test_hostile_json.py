"""JSON from a model, a server or a sandbox is untrusted: nesting deep enough to exhaust the
parser's recursion, or text that is not JSON, becomes a value the caller handles, never a crash."""

from __future__ import annotations

from autan.models import _chat_wire
from autan.models._http_errors import _server_message
from autan.protocols import NATIVE, constrained
from autan.sandbox._run import _decode_record

DEEP = "[" * 200_000 + "]" * 200_000


def test_native_arguments_nested_too_deep_fail_validation_instead_of_crashing() -> None:
    data = {
        "choices": [
            {
                "message": {
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "f", "arguments": f'{{"x": {DEEP}}}'}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ]
    }
    response = _chat_wire.parse(data, NATIVE, 1)
    assert response.tool_calls[0].name == "f"
    assert set(response.tool_calls[0].arguments) == {"__raw_arguments__"}


def test_constrained_output_nested_too_deep_is_no_call() -> None:
    assert constrained.parse_output(DEEP, 1)[1] == ()


def test_an_error_body_nested_too_deep_is_shown_shortened() -> None:
    assert len(_server_message(DEEP)) <= 300


def test_a_sandbox_result_record_nested_too_deep_is_an_error() -> None:
    assert _decode_record(DEEP.encode()) == {"error": "the result record is not valid JSON"}
