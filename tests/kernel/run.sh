#!/usr/bin/env bash
# The kernel harness (docs/kernel.md): boots two Linux 6.12 kernels under QEMU
# (TCG) with an initramfs of test programs and judges what they print on the
# serial console.
#
#   project  Debian's linux-source-6.12 built with vdso-image-64.c from
#            `vdsoforge embed --format kernel` of the linux-6.11 image
#   debian   Debian's unmodified linux-image-6.12.*-amd64-unsigned
#
# run.sh --build-dir DIR --work-dir DIR --consumer-root DIR --go-probe FILE
#        --glibc-probe FILE --vdso-source FILE --boot build|project|debian|both
#
# `build` builds the project's kernel into WORK/kernel (build-kernel.sh, from
# its cache); `project` and `debian` boot one kernel each (project uses
# WORK/kernel, built by an earlier `build`), `both` does all three.  CTest runs
# them as three tests, the boots requiring the build.  Prints one "[kernel]
# <boot>: ..." line per boot (and one for the build), a "[kernel] FAIL ..."
# line for every check that failed, and exits 1 if any did.  Each boot's
# console is kept in the work directory (<boot>.console), with its initramfs
# and the vDSO the Debian kernel served (debian-6.12.vdso).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
boots=
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$2 ;;
    --work-dir) work=$2 ;;
    --consumer-root) consumer_root=$2 ;;
    --go-probe) go_probe=$2 ;;
    --glibc-probe) glibc_probe=$2 ;;
    --vdso-source) vdso_source=$2 ;;
    --boot) boots=$2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
: "${build_dir:?--build-dir}" "${work:?--work-dir}" "${consumer_root:?--consumer-root}"
: "${go_probe:?--go-probe}" "${glibc_probe:?--glibc-probe}" "${vdso_source:?--vdso-source}"
case $boots in build|project|debian|both) ;; *) echo "run.sh: --boot build|project|debian|both" >&2; exit 2 ;; esac
runs() { [ "$boots" = both ] || [ "$boots" = "$1" ]; }

images="$build_dir/vdso_src"
tests_bin="$build_dir/tests"
failures=0
fail() { echo "[kernel] FAIL $*"; failures=$((failures + 1)); }
die() { echo "[kernel] FAIL $*"; exit 1; }

# ---- what must be on the machine (scripts/install-deps.sh installs it) -----
command -v qemu-system-x86_64 >/dev/null || die "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
[ -f /usr/src/linux-source-6.12.tar.xz ] || die "no /usr/src/linux-source-6.12.tar.xz (apt-get install linux-source-6.12)"
debian_kernel=$(ls /boot/vmlinuz-6.12.*+deb12-amd64 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$debian_kernel" ] || die "no /boot/vmlinuz-6.12.*+deb12-amd64 (apt-get install linux-image-6.12.<N>+deb12-amd64-unsigned; scripts/install-deps.sh picks it)"
[ -x "$consumer_root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" ] || die "no Debian 13 glibc under $consumer_root (scripts/fetch-consumers.sh)"
[ -x "$go_probe" ] || die "no Go 1.24 probe at $go_probe"

if [ -n "${VDSOFORGE_KERNEL_CACHE:-}" ]; then
  cache=$VDSOFORGE_KERNEL_CACHE
elif [ "$(id -u)" -eq 0 ]; then
  cache=/var/cache/vdsoforge/kernel
else
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/vdsoforge/kernel"
fi

mkdir -p "$work"

# ---- the project's kernel -------------------------------------------------
project_kernel="$work/kernel/bzImage"
if runs build; then
  rm -rf "$work/kernel"
  start=$SECONDS
  "$here/build-kernel.sh" "$cache" "$vdso_source" "$work/kernel" >"$work/kernel-build.out" 2>&1 ||
    die "the kernel build failed: $(tail -n 5 "$work/kernel-build.out")"
  echo "[kernel] build: Linux $(dpkg-query -W -f='${Version}' linux-source-6.12) with" \
       "$(basename "$vdso_source") in $((SECONDS - start)) s (cache $cache)"
fi
if runs project; then
  [ -f "$project_kernel" ] && [ "$project_kernel" -nt "$vdso_source" ] ||
    die "project: no kernel built from $vdso_source in $work/kernel (run --boot build first)"
fi

# ---- the initramfs --------------------------------------------------------
# A program from the build, stripped, with the host libraries it needs.
add_program() {
  local root=$1 program=$2 name=${3:-$(basename "$2")}
  strip -o "$root/bin/$name" "$program"
  local lib
  # (a static program has none: ldd fails, and that is fine)
  for lib in $(ldd "$program" 2>/dev/null | grep -o '/[^ ]*' || true); do
    mkdir -p "$root$(dirname "$lib")"
    [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
  done
}

# stage ROOT PLAN: the common files, then the plan.
stage() {
  local root=$1
  rm -rf "$root"
  mkdir -p "$root/bin" "$root/images" "$root/glibc-2.41" "$root/tmp"
  cp "$build_dir/tests/kernel_guest_init" "$root/init"
  strip "$root/init"
  for program in "$tests_bin/kernel_vdso_match" "$tests_bin/kernel_glibc_seccomp_probe" \
                 "$tests_bin/kernel_time_probe" \
                 "$tests_bin/kernel_differential" "$build_dir/tools/vdsoforge" \
                 "$glibc_probe"; do
    add_program "$root" "$program"
  done
  # the kernel's selftest, built with the project's kernel
  [ ! -f "$work/kernel/vdso_test_getrandom" ] ||
    add_program "$root" "$work/kernel/vdso_test_getrandom"
  cp "$go_probe" "$root/bin/go_probe"
  for lib in ld-linux-x86-64.so.2 libc.so.6; do
    cp -L "$consumer_root/usr/lib/x86_64-linux-gnu/$lib" "$root/glibc-2.41/"
  done
  for image in vdsoforge-getrandom vdsoforge-getrandom-linux-6.11 vdsoforge-getrandom-linux-6.13; do
    cp "$images/$image.so" "$root/images/"
  done
  cp "$2" "$root/plan"
  (cd "$root" && find . -mindepth 1 | sort | cpio --quiet -o -H newc -R 0:0) >"$root.cpio"
}

# A plan line: NAME TIMEOUT PROGRAM ARGS..., tab-separated (guest/init.c).
step() { local IFS=$'\t'; echo "$*"; }

glibc241=(/glibc-2.41/ld-linux-x86-64.so.2 --library-path /glibc-2.41)
image611=/images/vdsoforge-getrandom-linux-6.11.so
# Linux 6.12's data below [vdso] (the linux-6.11 profile, docs/abi.md): the rng
# data and the clock mode in the vvar page, which a time namespace moves to
# the timens slot 0x3000 higher.
rng_distance=0x3d80
clock_mode_distance=0x3f7c
timens_delta=0x3000

{
  step cpu 10 @cat /proc/cpuinfo
  step vdso_match 60 /bin/kernel_vdso_match --live
  step glibc 300 "${glibc241[@]}" /bin/kernel_glibc_seccomp_probe 10000 \
    $rng_distance $clock_mode_distance $timens_delta
  step time 120 /bin/kernel_time_probe 10000
  step selftest 300 /bin/vdso_test_getrandom
  step abi 60 /bin/vdsoforge abi $image611
} >"$work/project.plan"

{
  step cpu 10 @cat /proc/cpuinfo
  step dump 60 /bin/vdsoforge dump -o /tmp/kernel.vdso
  step dump_file 30 @base64 /tmp/kernel.vdso
  step differential 600 /bin/kernel_differential $image611 10000
  step differential_timens 600 /bin/kernel_differential $image611 10000 --timens
  step exec_glibc 300 /bin/vdsoforge exec --count-syscalls --image $image611 -- \
    "${glibc241[@]}" /bin/exec_glibc_probe /tmp/glibc.samples 2 400 2 2
  step exec_go 300 /bin/vdsoforge exec --count-syscalls --image $image611 -- \
    /bin/go_probe /tmp/go.samples 3 400 2
  step abi_linux-6.11 60 /bin/vdsoforge abi $image611
  step abi_default 60 /bin/vdsoforge abi /images/vdsoforge-getrandom.so
  step abi_linux-6.13 60 /bin/vdsoforge abi /images/vdsoforge-getrandom-linux-6.13.so
} >"$work/debian.plan"

# ---- booting and reading the console --------------------------------------
boot() {
  local name=$1 kernel=$2 console="$work/$1.console"
  stage "$work/$name-root" "$work/$name.plan"
  local started=$SECONDS
  # -cpu max: everything TCG emulates (AVX2 from QEMU 7.2, no AVX-512).
  timeout 900 qemu-system-x86_64 -accel tcg -cpu max -m 1024 -nographic -no-reboot \
    -kernel "$kernel" -initrd "$work/$name-root.cpio" \
    -append "console=ttyS0 quiet panic=-1 rdinit=/init" </dev/null 2>&1 | tr -d '\r' >"$console" ||
    true
  boot_seconds=$((SECONDS - started))
  grep -q '^@@vdsoforge boot end' "$console" || fail "$name: the boot did not finish (see $console)"
}

# The output of step NAME in the console, and its exit line.
output() { sed -n "/^@@vdsoforge step $2 begin\$/,/^@@vdsoforge step $2 exit /p" "$1" | sed '1d;$d'; }
exit_of() { sed -n "s/^@@vdsoforge step $2 exit \\([^ ].*\\) seconds .*/\\1/p" "$1"; }
seconds_of() { sed -n "s/^@@vdsoforge step $2 exit .* seconds \\(.*\\)/\\1/p" "$1"; }

# expect CONSOLE STEP EXIT REGEX...: the step ended with EXIT and printed a
# line matching each REGEX (extended).
expect() {
  local console=$1 name=$2 status=$3 ok=1
  shift 3
  local got
  got=$(exit_of "$console" "$name")
  if [ -z "$got" ]; then
    fail "$(basename "$console" .console) $name: no result line (the step never ran or hung)"
    return 1
  fi
  [ "$got" = "$status" ] || { fail "$(basename "$console" .console) $name: exit $got, expected $status"; ok=0; }
  # Read the step's output once: with pipefail, `output | grep -q` fails at
  # random when grep quits at the first match while sed still writes.
  local text
  text=$(output "$console" "$name")
  for pattern in "$@"; do
    grep -Eq -- "$pattern" <<<"$text" ||
      { fail "$(basename "$console" .console) $name: no line matching '$pattern'"; ok=0; }
  done
  if [ $ok -eq 0 ]; then output "$console" "$name" | tail -n 20 | sed 's/^/    | /'; return 1; fi
}
# The same where only the count of failures matters.
check() { expect "$@" || true; }

first_match() { output "$1" "$2" | grep -Eo -- "$3" | head -n 1 || true; }

cpu_features() {
  local flags
  flags=$(output "$1" cpu | grep -m1 '^flags' || true)
  local have=()
  for f in avx2 avx512f avx512vl; do grep -qw "$f" <<<"$flags" && have+=("$f"); done
  [ ${#have[@]} -gt 0 ] && echo "${have[*]}" || echo "no AVX2/AVX-512"
}

# ---- boot 1: the project's kernel serving the linux-6.11 image -------------
if runs project; then
  boot project "$project_kernel"
  c="$work/project.console"
  release=$(sed -n 's/^@@vdsoforge boot begin //p' "$c")
  check "$c" vdso_match 0 '^vdso_match: ok$' 'the kernel chose the [a-z0-9]+ routine'
  check "$c" glibc 0 '^glibc: 10000 of 10000 getrandom\(\) calls served' \
    '^timens: clock mode at base - 0x3f7c: 0x7fffffff in the namespace, .* 10000 of 10000'
  check "$c" time 0 '^time: REALTIME, MONOTONIC, BOOTTIME through the vDSO agree' \
    '^time: in a time namespace \(monotonic offset 1000 s\): CLOCK_MONOTONIC 100[0-9]\.[0-9]+ s ahead.*; 0 of 10000 calls failed' \
    '^time: 10000 of 10000 clock_gettime'
  check "$c" selftest 0 'Totals: pass:2 fail:0'
  check "$c" abi 0 'Result: COMPATIBLE'
  routine=$(first_match "$c" vdso_match 'chose the [a-z0-9]+ routine \([^)]*\)')
  echo "[kernel] project ${release:-?} (vdso-image-64.c from the linux-6.11 image;" \
       "boot ${boot_seconds} s, CPU: $(cpu_features "$c")):" \
       "[vdso] = the image, the kernel ${routine:-chose no routine};" \
       "glibc 2.41 $(first_match "$c" glibc '[0-9]+ of [0-9]+ getrandom\(\) calls served') under seccomp," \
       "in a time namespace $(output "$c" glibc | grep -Eo 'timens: .* [0-9]+ of [0-9]+' | grep -Eo '[0-9]+ of [0-9]+$' || echo '?');" \
       "clocks $(first_match "$c" time '[0-9]+ of [0-9]+ clock_gettime') without system calls," \
       "$(first_match "$c" time 'CLOCK_MONOTONIC [0-9.]+ s ahead' | sed 's/CLOCK_MONOTONIC //') in a 1000 s namespace;" \
       "vdso_test_getrandom $(first_match "$c" selftest 'pass:[0-9]+ fail:[0-9]+');" \
       "abi $(first_match "$c" abi 'Result: [A-Z]+' | sed 's/Result: //')"
fi

# ---- boot 2: Debian's own 6.12 ---------------------------------------------
if runs debian; then
  boot debian "$debian_kernel"
  c="$work/debian.console"
  release=$(sed -n 's/^@@vdsoforge boot begin //p' "$c")
  check "$c" dump 0 'profile linux-6\.11, certain'
  # The vDSO as the kernel served it: decoded for the detector's fixture.
  sed -n '/^@@vdsoforge base64 begin/,/^@@vdsoforge base64 end/p' "$c" | sed '1d;$d' |
    base64 -d >"$work/debian-6.12.vdso" 2>/dev/null || fail "debian: the dumped vDSO is not base64"
  fixture="$here/fixtures/linux-${release}.vdso"
  if [ -f "$fixture" ]; then
    cmp -s "$fixture" "$work/debian-6.12.vdso" && fixture_note="equals $(basename "$fixture")" ||
      fail "debian: the served vDSO differs from $fixture"
  else
    fixture_note="no fixture for $release (saved as $work/debian-6.12.vdso)"
  fi
  check "$c" differential 0 '^differential: [0-9]+ requests byte-identical'
  check "$c" differential_timens 0 '^differential \(time namespace\): [0-9]+ requests byte-identical'
  for probe in glibc go; do
    if expect "$c" exec_$probe 0 '^calls=[0-9]+ states=[0-9]+' 'vdsoforge exec: [0-9]+ getrandom system calls?( |$)'; then
      calls=$(first_match "$c" exec_$probe 'calls=[0-9]+' | cut -d= -f2)
      states=$(first_match "$c" exec_$probe 'states=[0-9]+' | cut -d= -f2)
      syscalls=$(first_match "$c" exec_$probe '[0-9]+ getrandom system call' | cut -d' ' -f1)
      # Each state is seeded by the system call once, and once more if the
      # kernel reseeds during the run (every second or so early in boot); a
      # few more for the C library's own start-up.  A fallback would be one
      # per call.
      [ "$syscalls" -le $((2 * states + 8)) ] ||
        fail "debian exec_$probe: $syscalls getrandom system calls for $calls calls and $states states"
      eval "exec_${probe}_note=\"\$calls calls, \$syscalls system calls\""
    fi
  done
  check "$c" abi_linux-6.11 0 'Result: COMPATIBLE'
  check "$c" abi_default 1 'Result: INCOMPATIBLE' 'FAIL layout\.'
  check "$c" abi_linux-6.13 1 'Result: INCOMPATIBLE' 'FAIL layout\.'
  verdict() { first_match "$c" "abi_$1" 'Result: [A-Z]+' | sed 's/Result: //'; }
  echo "[kernel] debian ${release:-?} (boot ${boot_seconds} s, CPU: $(cpu_features "$c")):" \
       "dump: $(first_match "$c" dump 'profile [^ ]+, [a-z]+' || echo '?'), ${fixture_note:-?};" \
       "differential $(first_match "$c" differential '[0-9]+ requests byte-identical')," \
       "in a time namespace $(first_match "$c" differential_timens '[0-9]+ requests byte-identical');" \
       "exec glibc 2.41 ${exec_glibc_note:-failed}, Go 1.24 ${exec_go_note:-failed};" \
       "abi linux-6.11 $(verdict linux-6.11), default $(verdict default), linux-6.13 $(verdict linux-6.13)"
fi

[ $failures -eq 0 ] || { echo "[kernel] $failures checks failed; consoles in $work"; exit 1; }
