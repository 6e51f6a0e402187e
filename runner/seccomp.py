"""A seccomp filter for the sandbox: a few system calls no solution needs, which are favourite
ways into the kernel, fail with ENOSYS (as if the kernel lacked them); everything else is allowed.

Assembled here as classic BPF (the format ``bwrap --seccomp`` loads), so that no library is
needed. Only the x86-64 system call table is allowed through: 32-bit and x32 calls are refused.
"""

from __future__ import annotations

import errno
import struct

__all__ = ["DENIED", "filter_program"]

# x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl).
DENIED = {
    "ptrace": 101,
    "personality": 135,
    "acct": 163,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "perf_event_open": 298,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
}

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
# struct seccomp_data: int nr; __u32 arch; ...
_NR_OFFSET, _ARCH_OFFSET = 0, 4
# BPF opcodes: BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_JMP|BPF_JGE|BPF_K, BPF_RET|BPF_K
_LOAD, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06


def _op(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def filter_program() -> bytes:
    """Return the filter as the array of ``struct sock_filter`` bwrap reads."""
    refuse = _SECCOMP_RET_ERRNO | errno.ENOSYS
    numbers = sorted(DENIED.values())
    program = [
        _op(_LOAD, 0, 0, _ARCH_OFFSET),
        _op(_JEQ, 1, 0, _AUDIT_ARCH_X86_64),
        _op(_RET, 0, 0, refuse),
        _op(_LOAD, 0, 0, _NR_OFFSET),
        _op(_JGE, len(numbers) + 1, 0, _X32_SYSCALL_BIT),
    ]
    # One comparison per denied call: on a match, jump to the final "refuse".
    for index, number in enumerate(numbers):
        program.append(_op(_JEQ, len(numbers) - index, 0, number))
    program += [_op(_RET, 0, 0, _SECCOMP_RET_ALLOW), _op(_RET, 0, 0, refuse)]
    return b"".join(program)
