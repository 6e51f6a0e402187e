"""The local stack: emulators and the gateway, shared by ``make dev`` and the test harness."""

from devstack.stack import LocalStack, StackError

__all__ = ["LocalStack", "StackError"]
