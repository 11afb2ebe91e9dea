# threads.py: throughput of rphost.spin from 1 and from 2 threads. Prints
# the speed-up; on RustPython (no GIL) it should approach 2 on 2 cores.
import threading
import time
import rphost

N = 30_000_000


def run(nthreads):
    start = time.perf_counter()
    threads = [threading.Thread(target=rphost.spin, args=(N,)) for _ in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


one = run(1)
two = run(2)
print(f"1 thread: {one:.3f}s for 1 call; 2 threads: {two:.3f}s for 2 calls; "
      f"throughput ratio {2 * one / two:.2f}")
