"""`make bench`: every benchmark, each a figure or a ratio measured side by side in one run."""
import cuda
import engine
import preview

if __name__ == "__main__":
    preview.main()
    print()
    engine.main()
    print()
    cuda.main()
