"""Reading EVM bytecode as opcodes: where PUSH0 appears, PUSH data and metadata skipped.

A byte 0x5f inside PUSH data or inside the CBOR metadata solc appends is not an instruction, so
searching the hex for "5f" proves nothing; walking the instructions does.
"""

from __future__ import annotations

PUSH0 = 0x5F
PUSH1, PUSH32 = 0x60, 0x7F


def strip_metadata(code: bytes) -> bytes:
    """``code`` without the CBOR metadata solc appends (its length is in the last two bytes)."""
    length = int.from_bytes(code[-2:])
    return code[: -(length + 2)] if length + 2 <= len(code) else code


def push0_offsets(code: bytes) -> list[int]:
    """Offsets of every PUSH0 instruction in ``code`` (no metadata), skipping PUSH1..32 data."""
    found, pc = [], 0
    while pc < len(code):
        op = code[pc]
        if op == PUSH0:
            found.append(pc)
        pc += 1 + (op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0)
    return found


def program_push0_offsets(bytecode: bytes, deployed: bytes) -> list[int]:
    """PUSH0 offsets in a creation ``bytecode``: its constructor code, then the ``deployed`` code.

    The creation code is the constructor followed by the runtime code it returns (this registry
    has no immutables, so the runtime is copied verbatim); each is walked as code, the metadata
    left out.
    """
    start = bytecode.find(deployed)
    if start < 0:
        raise ValueError("the deployed code is not inside the creation code")
    runtime = [start + offset for offset in push0_offsets(strip_metadata(deployed))]
    return push0_offsets(bytecode[:start]) + runtime
