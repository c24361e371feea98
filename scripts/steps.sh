# Sourced by the scripts: `step "what"` prints a heading, and how long the
# previous step and the whole script have taken so far, so a reader knows
# what is running and what to expect next time.
steps_start=$SECONDS
step_start=$SECONDS
step_name=""
step() {
  local now=$SECONDS
  if [ -n "$step_name" ]; then
    printf '=== done in %d s: %s (total %d s)\n' "$((now - step_start))" "$step_name" "$((now - steps_start))" >&2
  fi
  step_name="$*"
  step_start=$now
  [ -n "$step_name" ] && printf '\n=== %s ===\n' "$step_name" >&2
  return 0
}

# `quietly [--keep REGEX] COMMAND...` runs COMMAND with all its output
# appended to $steps_log (set it before the first call) and shows only the
# lines matching REGEX; if COMMAND fails, the last 60 lines of its output
# instead, and where the rest is.  `quietly_ctest CTEST_ARGS...` does the
# same for ctest: one summary per suite (counts, time, skipped and failed
# tests), and the output of every failed test in full.
quietly() {
  local keep='^$^' # matches nothing
  if [ "${1:-}" = --keep ]; then
    keep="$2"
    shift 2
  fi
  local out status=0
  out="$(mktemp)"
  printf '\n=== %s\n' "$*" >>"$steps_log"
  "$@" >"$out" 2>&1 || status=$?
  cat "$out" >>"$steps_log"
  if [ "$status" -eq 0 ]; then
    grep -E -- "$keep" "$out" || true
  else
    tail -n 60 "$out" >&2
    printf '(failed with exit status %d: %s; the whole output is in %s)\n' "$status" "$*" "$steps_log" >&2
  fi
  rm -f "$out"
  return "$status"
}

quietly_ctest() {
  local out status=0
  out="$(mktemp)"
  printf '\n=== ctest %s\n' "$*" >>"$steps_log"
  ctest --output-on-failure "$@" >"$out" 2>&1 || status=$?
  cat "$out" >>"$steps_log"
  # Everything but the line each test starts with and the line of each test
  # that passed: what is left is the summary, skips and failures in full.
  grep -Ev '^ *Start +[0-9]+: |^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed +[0-9.]+ sec$' "$out" |
    grep -v '^$' || true
  [ "$status" -eq 0 ] || printf '(ctest failed; the whole output is in %s)\n' "$steps_log" >&2
  rm -f "$out"
  return "$status"
}
