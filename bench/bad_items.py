#!/usr/bin/env python3
"""Writes one completed media task whose N results items are all broken (a `url` that is not
http(s)), to time and measure the validator on a response with N errors:
    bench/bad_items.py N > big.json"""
import json
import sys

n = int(sys.argv[1])
sys.stdout.write(
    '{"id":"task-unified-1757165031-badbad00","object":"image.generation.task","type":"image",'
    '"model":"flux-1.1-pro","status":"completed","progress":100,"created":1757165031,"results":['
)
for i in range(n):
    if i:
        sys.stdout.write(",")
    sys.stdout.write(json.dumps({"url": f"ftp://cdn.example.com/{i}.png"}))
sys.stdout.write("]}\n")
