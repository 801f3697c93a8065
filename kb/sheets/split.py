"""Scale-out: split a sheet's cells over the processes of `accelerate launch`.

Every process plans the same sheet and splits the FULL cell list with
`accelerate.PartialState().split_between_processes` (contiguous, deterministic shares), then
skips the cells of its share already in the cache. Splitting the full list rather than the
missing cells keeps the shares identical in every process even while another process is
already writing cells. After its share each process waits at a barrier; only the main process
composes, and it reports any cell still missing (a process that died).

Outside `accelerate launch` (WORLD_SIZE unset or 1) nothing is imported: one process, all cells.
Without CUDA, `accelerate launch --multi_gpu --num_processes N` starts N CPU processes (torchrun)
and PartialState(cpu=True) joins them with gloo; `accelerate launch --cpu` starts one process
unless mpirun is installed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kb.errors import SheetError

Item = TypeVar("Item")


def launched_processes() -> int:
    """How many processes `accelerate launch` (or torchrun) started, from its environment."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


@dataclass
class ProcessShare:
    """This process's place in the run: which cells it generates, and the barrier."""

    index: int = 0
    count: int = 1
    _state: Any = field(default=None, repr=False)  # accelerate.PartialState when launched

    @property
    def is_main(self) -> bool:
        return self.index == 0

    def share(self, items: Sequence[Item]) -> list[Item]:
        if self._state is None:
            return list(items)
        with self._state.split_between_processes(list(items)) as mine:
            return list(mine)

    def wait_for_everyone(self) -> None:
        if self._state is not None:
            self._state.wait_for_everyone()

    def total(self, value: int) -> int:
        """The sum of `value` over all processes (every process gets it)."""
        if self._state is None:
            return value
        from accelerate.utils import gather_object

        return sum(int(part) for part in gather_object([value]))


def current_share() -> ProcessShare:
    if launched_processes() <= 1:
        return ProcessShare()
    try:
        import torch
        from accelerate import PartialState
    except ImportError as error:
        raise SheetError(
            f"WORLD_SIZE={launched_processes()} says this process was started by `accelerate launch`, "
            f"but {error.name} is not installed; install the gpu extra (pip install 'aidxl-kb[gpu]')"
        ) from None

    # Without CUDA, accelerate only forms a process group (gloo) when asked for the CPU.
    state = PartialState(cpu=not torch.cuda.is_available())
    return ProcessShare(index=int(state.process_index), count=int(state.num_processes), _state=state)
