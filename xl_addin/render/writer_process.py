"""Helper processes that write the largest sheets of a split summary (see summary_xlsx._write_split)
while the calling process writes the other sheets.

Writing a sheet is Python work that holds the interpreter's lock, so a thread cannot share
it; a second process can. The helper is a new interpreter that imports only the writer (no
pandas: about 20 MB); a forked one would keep the caller's whole heap alive, and every page
the caller then touched would be held twice (measured: 380 MB at N = 1,000 against 260). The
part's rows go to it in blocks, pickled by a feeder thread, so neither process holds them
twice; it writes a workbook of that one sheet, closes it, returns the merged ranges and ends,
and the caller copies the sheet into the summary as it does the workbooks it wrote itself. A
sheet that is not a part goes whole, in one message.
Any failure comes back as a message or as the helper's end: the caller then writes the sheet
itself."""
from __future__ import annotations

import gc
import os
import pickle
import sys
import threading

BLOCK = 2_000           # body rows per message: a few MB pickled, so the queue holds little


class Helper:
    """One helper process for one sheet: messages go to its stdin and its reply comes back on
    its stdout, pickled (both ends are this program). A plain child process, not
    multiprocessing's: that would also start a resource-tracker process, whose memory counts
    against the run's."""

    module = __name__          # what the helper runs (python -m)

    def __init__(self):
        import queue
        import subprocess

        # (on Windows, no console window flashing up over Excel or the page)
        self.process = subprocess.Popen([sys.executable, "-m", self.module], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.reply: tuple[str, object] | None = None
        # the feeder pickles and sends while the caller goes on (a pipe write waits for the reader)
        self.feeder = threading.Thread(target=self._feed, daemon=True)
        self.feeder.start()

    def _feed(self) -> None:
        try:
            while (message := self.outbox.get()) is not None:
                # pickled whole, then sent in one write: the pipe takes a block while this thread
                # waits outside the interpreter's lock. (pickle.dump to the pipe writes 64 KB
                # frames, and this thread waited for the lock again after each one while the
                # caller wrote its sheets: the helper idled 40 % of the write, measured)
                self.process.stdin.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            self.process.stdin.close()
        except OSError:          # the helper died: result() says so
            pass

    def write_part(self, path: str, title: str, caption: str, part, city: str | None, widths: list[float]) -> None:
        """Queue the part `part` (a sheets.Part) to be written, in blocks of rows, as the only
        sheet of the workbook `path`."""
        from xl_addin.render import sheets

        head = sheets.Part(part.spec, part.columns, part.fields, [], [], part.total, part.merged, part.has_total)
        self.outbox.put(("open", str(path), part.spec.summary.sheet, title, caption, head, city))
        body, spans = part.body, [x for x in part.spans if x[2] == 0]
        at = 0
        for first in range(0, len(body), BLOCK):
            last = first + BLOCK
            block_spans = []
            while at < len(spans) and spans[at][0] < last:
                a, b, c = spans[at]
                block_spans.append((a - first, b - first, c))
                at += 1
            self.outbox.put(("rows", body[first:last], block_spans))
        self.outbox.put(("end", part.rows[-1] if part.has_total else None, widths))
        self.outbox.put(None)            # nothing more: the helper ends after its reply

    def write_sheet(self, path: str, name: str, write, data) -> None:
        """Queue one sheet to be written whole, as write(writer, worksheet, data) writes it (a
        function of summary_xlsx: pickled by name), as the only sheet of the workbook `path`."""
        self.outbox.put(("sheet", str(path), name, write, data))
        self.outbox.put(None)

    def result(self) -> dict:
        """The written workbook's merged ranges (part -> ranges), as RustWorkbook.close returns
        them; RuntimeError if the helper failed or died. The helper has ended by then."""
        try:
            self.reply = pickle.load(self.process.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):
            self.reply = ("failed", "the helper process ended without a result")
        finally:
            self.stop()
        status, value = self.reply
        if status != "done":
            raise RuntimeError(value)
        return value

    def stop(self) -> None:
        """End the helper now (its memory counts until it exits)."""
        if self.process.poll() is None:
            self.outbox.put(None)
            try:
                self.process.wait(timeout=5)
            except Exception:
                self.process.kill()
        self.process.stdout.close()


def start() -> Helper | None:
    """A started helper, or None where none can start (the caller writes everything itself)."""
    try:
        return Helper()
    except Exception:          # no processes here (a sandbox, an embedded interpreter): write in-process
        return None


def _serve(inbox, outbox) -> None:
    """The helper's side: open, rows…, end (a part) or sheet (one whole), then one reply (done,
    or failed at the first error)."""
    gc.disable()               # many short-lived rows, no cycles
    from xl_addin.render import summary_xlsx

    def one_sheet(path: str, name: str):
        book, w = summary_xlsx.open_book(path, "rust")
        ws = book.add_worksheet(name, row_order=True)
        w.register(ws)
        return book, w, ws

    try:
        while True:
            op, *args = pickle.load(inbox)
            if op == "open":
                path, name, title, caption, head, city = args
                book, w, ws = one_sheet(path, name)
                sheet = summary_xlsx.PartSheet(w, ws, title, caption, head, city)
            elif op == "rows":
                sheet.rows(*args)
            elif op == "end":
                sheet.end(*args)
                break
            elif op == "sheet":
                path, name, write, data = args
                book, w, ws = one_sheet(path, name)
                write(w, ws, data)
                break
        message = ("done", book.close(add_merges_now=False))
    except Exception as exc:       # reported (an early end of input too): the caller writes the part itself
        message = ("failed", f"{type(exc).__name__}: {exc}")
    pickle.dump(message, outbox)
    outbox.flush()


if __name__ == "__main__":
    _serve(sys.stdin.buffer, sys.stdout.buffer)
    sys.stdout.flush()
    os._exit(0)                # no teardown of what it wrote
