"""The app's training, plain and tested alone: the Book (the runs the app knows, the queue) and the
trainer that serves its jobs one at a time (backends.child: a process of its own, or a thread), so
that stop empties the queue here. The app hands it the keys' requests and the trainer's reports; a
trainer that dies is said and replaced, and the queue goes on in the new one."""
from __future__ import annotations

from pathlib import Path

from lrtui.backends.child import Service, service
from lrtui.ui.book import Book
from lrtui.ui.messages import Said


class Session:
    def __init__(self, store_path: Path):
        self.store_path = store_path
        self.book = Book()
        self.trainer: Service | None = None  # started by start(): it imports torch meanwhile

    def start(self) -> None:
        self.trainer = service(self.store_path)

    @property
    def busy(self) -> bool:
        """The trainer has a job: s stops it."""
        return self.book.busy

    def enqueue(self, jobs: list) -> None:
        self._submit(self.book.enqueue(jobs))

    def idle(self) -> None:
        """The trainer is done with its job: the next one, if any."""
        self.book.idle()
        self._submit(self.book.next())

    def stop(self) -> None:
        """The queue emptied, and the job in the trainer stopped within a batch (it is kept)."""
        if self.book.stop():
            self.trainer.stop.set()

    def died(self, why: str) -> Said:
        """The trainer is gone (killed for memory, a signal): its run reads as interrupted, a new one
        starts, and the queue goes on there."""
        said = self.book.died(why)
        self.start()
        self._submit(self.book.next())
        return said

    def close(self) -> None:
        if self.trainer:
            self.trainer.close()

    def _submit(self, job: object | None) -> None:
        if job is not None:
            self.trainer.submit(job)
