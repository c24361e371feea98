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
