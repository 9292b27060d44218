#!/usr/bin/env python3
"""Generates a benchmark corpus of FoxAPI task responses from the shipped fixtures.

    bench/corpus.py OUT_DIR [--count 10000] [--jsonl FILE] [--seed 7] [--small] [--no-files]

Two corpora:
- default (large): every registry model and output type appears; about 80% of the responses
  are valid and 20% carry one error of section 5; LLM and transcript results are several KB.
- --small: where FoxAPI traffic is, answers of 300 to 600 bytes drawn from every result shape
  (mostly media, seeded video and voice; a few characters, profiles, PBR maps and textures,
  chat completions and transcripts), 40% carrying one error of section 5.
Writes one file per response into OUT_DIR (for validators that take files) and, with --jsonl,
the same responses as JSON Lines.
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


# The small corpus: (weight, fixture) pairs, every result shape of the registry.
SMALL_MIX = [
    (22, "valid/type/image.json"), (8, "valid/type/video.json"), (8, "valid/type/audio.json"),
    (8, "valid/model/seedance-2.0-text-to-video.json"),
    (6, "valid/model/seedance-2.0-fast-image-to-video.json"),
    (6, "valid/model/seedance-2.0-reference-to-video.json"),
    (6, "valid/model/minimax-voice-clone.json"), (5, "valid/model/kling-video-create-voice.json"),
    (4, "valid/model/sora-2-character.json"), (4, "valid/model/phota-create-profile.json"),
    (3, "valid/model/patina-pbr-maps.json"), (3, "valid/model/patina-material-extract.json"),
    (3, "valid/model/patina-material.json"),
    (7, "valid/type/llm.json"), (7, "valid/model/scribe-v2.json"),
]
SMALL_MIN, SMALL_MAX = 300, 600


def small_templates():
    out = []
    for weight, name in SMALL_MIX:
        out.append((weight, json.loads((ROOT / "fixtures" / name).read_text())))
    return out


def shrink(rng, r):
    """Cuts a response to at most SMALL_MAX bytes and pads it to at least SMALL_MIN, keeping it
    valid: fewer items, a short completion, a transcript of a word or two, a compact usage."""
    results = r.get("results") or []
    if len(results) > 1:
        del results[rng.randint(1, 2):]
    for item in results:
        if "choices" in item:
            item.pop("system_fingerprint", None)
            item.pop("service_tier", None)
            item["usage"] = {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}
            msg = item["choices"][0]["message"]
            msg.pop("annotations", None)
            msg.pop("refusal", None)
            msg["content"] = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        if "words" in item:
            del item["words"][rng.randint(1, 2):]
            item["text"] = "".join(w["text"] for w in item["words"])
    r.pop("stream", None)
    text = json.dumps(r, ensure_ascii=False)
    if len(text) > SMALL_MAX and r.get("results"):
        del r["results"][1:]
        text = json.dumps(r, ensure_ascii=False)
    if len(text) > SMALL_MAX:
        r["usage"] = {"credits_reserved": 5}
    text = json.dumps(r, ensure_ascii=False)
    want = rng.randint(SMALL_MIN, SMALL_MAX)
    if len(text) < want:  # pad with the user group's name, an open string
        usage = r.setdefault("usage", {})
        usage["user_group"] = ""
        usage["user_group"] = "g" * max(0, want - len(json.dumps(r, ensure_ascii=False)))
    return r


def small(rng, templates, weights):
    return shrink(rng, copy.deepcopy(rng.choices(templates, weights=weights)[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--jsonl")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-files", action="store_true")
    ap.add_argument("--small", action="store_true", help="the small corpus: 300-600 byte answers, 40%% invalid")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    base = templates()
    mix = small_templates()
    weights = [w for w, _ in mix]
    smalls = [t for _, t in mix]
    share_invalid = 0.4 if args.small else 0.2
    out = pathlib.Path(args.out)
    if not args.no_files:
        out.mkdir(parents=True, exist_ok=True)
    lines = open(args.jsonl, "w") if args.jsonl else None
    invalid = 0
    for i in range(args.count):
        if args.small:
            r = small(rng, smalls, weights)
        else:
            r = enlarge(rng, copy.deepcopy(base[i % len(base)]))
        r["id"] = f"task-unified-{1757165031 + i}-{rng.getrandbits(32):08x}"
        r["created"] = 1757165031 + i
        if rng.random() < share_invalid:
            rng.choice(MUTATIONS)(r, rng)
            invalid += 1
        text = json.dumps(r, ensure_ascii=False)
        if not args.no_files:
            (out / f"r{i:06d}.json").write_text(text)
        if lines:
            lines.write(text + "\n")
    templates_used = len(smalls) if args.small else len(base)
    print(f"{args.count} responses ({invalid} mutated) from {templates_used} templates")


if __name__ == "__main__":
    main()
