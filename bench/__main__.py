"""`python -m bench [name ...]`: run the benchmarks (all by default) and print the table."""
import sys

from . import build, deploy, local, soak, validate
from .common import print_table

SUITES = {"local": local.run, "validate": validate.run, "deploy": deploy.run, "soak": soak.run,
          "build": build.run}


def main(names: list[str]) -> int:
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"error: unknown benchmark {', '.join(unknown)}; known: {', '.join(SUITES)}",
              file=sys.stderr)
        return 1
    results = []
    for name in names or list(SUITES):
        print(f"==> benchmark: {name}", flush=True)
        results += SUITES[name]()
    print_table(results)
    return 0 if all(r.ok is not False for r in results) else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
