"""What the drivers share: the value types a signature uses, and the spec the drivers embed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from common.judging.signature import DesignSignature, FunctionSignature

if TYPE_CHECKING:
    from common.judging.signature import Signature

__all__ = ["used_types"]


def used_types(signature: Signature) -> list[str]:
    """Return every value type the signature names (``void`` included), in order, with repeats."""
    if isinstance(signature, FunctionSignature):
        return [param.type for param in signature.params] + [signature.returns]
    if isinstance(signature, DesignSignature):
        return [param.type for param in signature.constructor] + [
            kind
            for method in signature.methods
            for kind in [method.returns, *(param.type for param in method.params)]
        ]
    return [signature.type]
