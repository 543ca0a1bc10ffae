"""`make bench`: every benchmark, each a figure or a ratio measured side by side in one run."""
import batched
import cuda
import engine
import finder
import preview
import sweep
import tui
import verdict

if __name__ == "__main__":
    for bench in (preview, verdict, engine, batched, sweep, tui, cuda, finder):  # finder last: it trains ~60 runs
        bench.main()
        print()
