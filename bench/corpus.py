#!/usr/bin/env python3
"""Generates a benchmark corpus of FoxAPI task responses from the shipped fixtures.

    bench/corpus.py OUT_DIR [--count 10000] [--jsonl FILE] [--seed 7]

Every registry model and output type appears; about 80% of the responses are valid and 20%
carry one error of section 5; LLM and transcript results are several KB. Writes one file per
response into OUT_DIR (for validators that take files) and, with --jsonl, the same responses
as JSON Lines.
"""
import argparse, copy, json, pathlib, random

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORDS = "the quick brown fox jumps over the lazy dog while a gateway polls its tasks".split()


def templates():
    out = []
    for folder in ["valid/model", "valid/type"]:
        for path in sorted((ROOT / "fixtures" / folder).glob("*.json")):
            out.append(json.loads(path.read_text()))
    return out


def enlarge(rng, response):
    for item in response.get("results") or []:
        if "choices" in item:  # a ChatCompletion of several KB
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(400, 1200)))
            item["choices"][0]["message"]["content"] = text
            item["usage"]["completion_tokens"] = len(text) // 4
        if "words" in item:  # a transcript of a few hundred words
            words, t = [], 0.0
            for i in range(rng.randint(150, 400)):
                w = rng.choice(WORDS)
                words.append({"text": w, "start": round(t, 2), "end": round(t + 0.3, 2), "type": "word", "speaker_id": "speaker_0", "logprob": -0.01})
                words.append({"text": " ", "start": round(t + 0.3, 2), "end": round(t + 0.35, 2), "type": "spacing", "speaker_id": "speaker_0", "logprob": 0.0})
                t += 0.35
            item["words"] = words
            item["text"] = "".join(w["text"] for w in words)
    return response


MUTATIONS = [
    lambda r, rng: r.pop("created"),
    lambda r, rng: r.__setitem__("progress", rng.choice([101, -1, 50.5, "100"])),
    lambda r, rng: r.__setitem__("type", {"image": "video"}.get(r["type"], "image")),
    lambda r, rng: r.update(status="failed", error=None),
    lambda r, rng: r["results"][0].clear() if r.get("results") else r.pop("id"),
    lambda r, rng: r["results"][0].__setitem__("url", "/relative.png") if r.get("results") else r.pop("model"),
    lambda r, rng: r.__setitem__("usage", {"credits_reserved": "5"}),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--jsonl")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-files", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    base = templates()
    out = pathlib.Path(args.out)
    if not args.no_files:
        out.mkdir(parents=True, exist_ok=True)
    lines = open(args.jsonl, "w") if args.jsonl else None
    invalid = 0
    for i in range(args.count):
        r = enlarge(rng, copy.deepcopy(base[i % len(base)]))
        r["id"] = f"task-unified-{1757165031 + i}-{rng.getrandbits(32):08x}"
        r["created"] = 1757165031 + i
        if rng.random() < 0.2:
            rng.choice(MUTATIONS)(r, rng)
            invalid += 1
        text = json.dumps(r, ensure_ascii=False)
        if not args.no_files:
            (out / f"r{i:06d}.json").write_text(text)
        if lines:
            lines.write(text + "\n")
    print(f"{args.count} responses ({invalid} mutated) from {len(base)} templates")


if __name__ == "__main__":
    main()
