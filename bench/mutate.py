#!/usr/bin/env python3
"""Broken responses for byte-for-byte comparisons of two builds (`bench/same_reports.sh`).

    bench/mutate.py SEED COUNT OUT.jsonl SOURCE_DIR...

Each line is a response of SOURCE_DIRs (every `*.json` below them that is an object), broken
in one to six places at any depth: a key removed, a value replaced by one of the wrong type
or outside its set (null, numbers out of range, relative URLs, unknown statuses, empty
objects, ...), or an undeclared key added. Deterministic for a SEED.
"""
import json
import pathlib
import random
import sys

ODD = [None, True, 0, -1, 101, 1.5, "x", "", "task-x", "https://a.b/c", "/rel", "image",
       "video", "audio", "llm", "completed", "failed", "pending", "cancelled", [], [{}], {},
       {"message": None}, {"url": 5}, "5", {"a": 1}, [1, 2]]


def paths(value, at=()):
    yield at
    if isinstance(value, dict):
        for key in value:
            yield from paths(value[key], at + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths(item, at + (i,))


def odd():
    return json.loads(json.dumps(random.choice(ODD)))


def break_once(value):
    places = list(paths(value))[1:]
    if not places:
        return
    at = random.choice(places)
    parent = value
    for key in at[:-1]:
        parent = parent[key]
    key = at[-1]
    r = random.random()
    if r < 0.3 and isinstance(parent, dict):
        del parent[key]
    elif r >= 0.8 and isinstance(parent, dict):
        parent[random.choice(["extra", "tint", "x_y", "Error"])] = odd()
    else:
        parent[key] = odd()


def main():
    seed, count, out, *dirs = sys.argv[1:]
    random.seed(int(seed))
    sources = []
    for d in dirs:
        for f in sorted(pathlib.Path(d).rglob("*.json")):
            try:
                value = json.loads(f.read_text())
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(value, dict):
                sources.append(value)
    with open(out, "w") as f:
        for _ in range(int(count)):
            value = json.loads(json.dumps(random.choice(sources)))
            for _ in range(random.choice([1, 1, 2, 2, 3, 4, 6])):
                break_once(value)
            f.write(json.dumps(value) + "\n")


if __name__ == "__main__":
    main()
