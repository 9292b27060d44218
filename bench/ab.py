#!/usr/bin/env python3
"""Times shell commands against each other, in turns, so that noise on the machine falls on
all of them alike; prints each one's median and minimum and its median over the first's.

    bench/ab.py RUNS NAME=COMMAND [NAME=COMMAND ...]

For example, two builds on one core:

    bench/ab.py 21 before="taskset -c 0 /tmp/old validate --jobs 1 --format json DIR" \\
                   after="taskset -c 0 target/release/foxapi-contract validate --jobs 1 --format json DIR"
"""
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    runs = int(sys.argv[1])
    cmds = [arg.split("=", 1) for arg in sys.argv[2:]]
    times = {name: [] for name, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            start = time.perf_counter()
            subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times[cmds[0][0]])
    for name, _ in cmds:
        median = statistics.median(times[name])
        print(f"{name:12s} median {median:.4f} s  min {min(times[name]):.4f} s  "
              f"ratio {median / base:.2f}")


if __name__ == "__main__":
    main()
