"""Run an iterator in a background thread a few items ahead, so that numpy work (which releases the
GIL) overlaps with the caller's."""
import queue
import threading

_END = object()


def in_background(items, depth=2):
    """Yield what `items` yields, computed by a daemon thread at most `depth` items ahead.

    An exception in the thread is raised here; leaving the loop early stops the thread.
    """
    ready = queue.Queue(depth)
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                ready.put((item, None))
                if stop.is_set():
                    return
            ready.put((_END, None))
        except Exception as err:  # handed to the consumer, which raises it
            ready.put((_END, err))

    thread = threading.Thread(target=produce, name='d2l_ext-prefetch', daemon=True)
    thread.start()
    try:
        while True:
            item, err = ready.get()
            if item is _END:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # free a slot so that a blocked put returns and the thread sees `stop`
            try:
                ready.get(timeout=0.01)
            except queue.Empty:
                pass
        thread.join()
