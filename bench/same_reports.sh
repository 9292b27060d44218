#!/usr/bin/env bash
# Whether two builds write the same reports, byte for byte, with the same exit codes and
# standard error: every fixture, 2,000 small and 2,000 large generated responses, 60,000
# broken ones (bench/mutate.py), with and without --strict, in every format.
#   bench/same_reports.sh OLD_BINARY NEW_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1
new=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/corpus.py "$work/small" --count 2000 --small > /dev/null
python3 bench/corpus.py "$work/large" --count 2000 > /dev/null
for seed in 1 2 3; do
  python3 bench/mutate.py "$seed" 20000 "$work/broken$seed.jsonl" fixtures "$work/small" "$work/large"
done
differ=0
for input in fixtures "$work/small" "$work/large" "$work"/broken*.jsonl; do
  for format in json junit human; do
    for strict in "" "--strict"; do
      set +e
      "$old" validate --no-progress --format "$format" $strict "$input" > "$work/a" 2> "$work/a.err"
      a=$?
      "$new" validate --no-progress --format "$format" $strict "$input" > "$work/b" 2> "$work/b.err"
      b=$?
      set -e
      if [ "$a" != "$b" ] || ! cmp -s "$work/a" "$work/b" || ! cmp -s "$work/a.err" "$work/b.err"; then
        echo "differ: $input --format $format $strict (exit $a, $b)"
        differ=1
      fi
    done
  done
done
[ "$differ" = 0 ] && echo "same reports"
exit "$differ"
