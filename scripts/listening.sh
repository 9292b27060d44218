# Sourced by .ci/run and the scripts that start a server in the background.
# listening LOG PID PATTERN: waits (up to 30 s) until the server PID writes a line to LOG that
# holds PATTERN (an extended regular expression whose match ends with the URL), then prints the
# URL it names. Fails, showing LOG, when the server dies or never says where it listens.
listening() {
  local log=$1 pid=$2 pattern=$3 url=""
  for _ in $(seq 1 300); do
    url=$(grep -oE "$pattern" "$log" | head -n 1 | grep -oE 'https?://[^ ]+' || true)
    [ -n "$url" ] && { printf '%s\n' "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not say where it listens:" >&2
  cat "$log" >&2
  return 1
}
