#!/usr/bin/env bash
# The kill matrix: runs the jcstress suite against every known-bad protocol variant in turn and
# shows which harness catches which variant.
#
#   kill-matrix.sh [-m MODE] [-o FILE] [VARIANT...]
#
#   -m MODE    run-suite.sh mode for each variant run (default: quick)
#   -o FILE    also write the matrix (Markdown) to FILE, e.g. KILL-MATRIX.md
#   VARIANT    only these variants (default: every constant of ProtocolVariant and RcuVariant
#              except FAITHFUL, read from the shaded jar)
#
# Environment: KILL_ALL=1 (every harness of the family for each variant), KILL_JCSTRESS_OPTS
# (extra jcstress options, default "-fsm 0"; EXTRA_FOR below adds a few per variant), KILL_TIMEOUT
# (seconds per variant, default 900),
# KILL_SKIP_JUNIT=1 (skip the deterministic tests).
#
# Each variant is selected with `-jvmArgsPrepend -Dvmalock.variant=NAME` (run-suite.sh's
# JCSTRESS_JVM_PREPEND): the mm and rcu packages apply the property to every mm and RCU domain built
# without an explicit variant, which is how every harness builds them. Each variant runs the
# harnesses that reach the code it changes (subset_for below; the regular expressions are printed
# with the matrix). A harness catches a variant when it reports a FORBIDDEN outcome (count =
# observations summed over the JVM configurations) or an error (the exception is named). A run that
# does not finish within KILL_TIMEOUT seconds counts as caught by a hang. Variants whose bad
# interleaving jcstress rarely hits on a small machine also have deterministic JUnit tests in the
# root project (DETERMINISTIC below); the script runs those classes once (unless KILL_SKIP_JUNIT=1)
# and shows each test's result in the "deterministic test" column; a passing test counts as a catch.
#
# Exit status: 0 when every variant is caught somewhere, 1 when one survives, 2 on a setup error.
# The last line is `variants: N, caught: M`.
set -uo pipefail
caller_dir=$(pwd)
cmdline="jcstress/kill-matrix.sh${*:+ $*}"
cd "$(dirname "$0")"

mode=quick
outfile=""
while getopts "m:o:" opt; do
  case "$opt" in
    m) mode="$OPTARG" ;;
    o) outfile="$OPTARG" ;;
    *) echo "usage: kill-matrix.sh [-m MODE] [-o FILE] [VARIANT...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [[ -n "$outfile" && "$outfile" != /* ]]; then outfile="$caller_dir/$outfile"; fi

jar=target/jcstress.jar
[[ -f "$jar" ]] || { echo "kill-matrix: $jar is missing; build it first (see README)" >&2; exit 2; }

# The harnesses each variant runs: those that reach the code the variant changes (a declared
# subset, to keep the matrix affordable on a small shared machine; KILL_ALL=1 runs every mm harness
# for every ProtocolVariant and every RCU harness for every RcuVariant).
P='io\.github\.vmalock\.jcstress\.'
MM_ALL="${P}(LockVmaUnderRcu|VmaStartReadUnlocked|StartWrite|DetachWaits|RefcntAdmission|MmapWriteDowngrade|LockNextVma).*"
RCU_ALL="${P}Rcu.*"
subset_for() { # variant -> regex
  if [[ "${KILL_ALL:-0}" == 1 ]]; then
    if [[ "${FAMILY[$1]}" == mm ]]; then echo "$MM_ALL"; else echo "$RCU_ALL"; fi
    return
  fi
  case "$1" in
    SEED_V2_NULL_DEREF) echo "${P}VmaStartReadUnlockedVs(Munmap|WriteLocked)" ;;
    STALE_SLOW_PATH_VMA) echo "${P}VmaStartReadUnlockedVs(MprotectSplit|Munmap)" ;;
    NO_RANGE_RECHECK) echo "${P}LockVmaUnderRcuVs(RecycledVma|MprotectSplit)" ;;
    NO_MM_RECHECK) echo "${P}(LockVmaUnderRcuVsRecycledVma|DetachWaitsForTransientReaders)" ;;
    NO_SEQ_RECHECK) echo "${P}LockVmaUnderRcu(VsWriteLocked|VsRepeatedWriteLock|SeesWriterChanges)" ;;
    WRITER_NO_WAIT)
      echo "${P}(StartWriteWaitsForReader|LockVmaUnderRcuVsWriteLocked|RefcntAdmissionVsExcludeReaders)" ;;
    # Not LockVmaUnderRcuVsRecycledVma: the late put this variant allows can drive the recycled
    # object to -1, on which that harness's own next vma_start_write waits forever.
    DETACH_NO_WAIT) echo "${P}DetachWaitsForTransientReaders" ;;
    RELEASE_PUBLICATION) echo "${P}Rcu(SBPollState|SyncFree)" ;;
    SYNC_NO_WAIT) echo "${P}RcuSync(Read|Free)" ;;
    NESTED_UNLOCK_EARLY) echo "${P}RcuSyncReadNested" ;;
    *) if [[ "${FAMILY[$1]}" == mm ]]; then echo "$MM_ALL"; else echo "$RCU_ALL"; fi ;;
  esac
}

# Extra jcstress options for single variants, on top of KILL_JCSTRESS_OPTS (printed with the matrix).
# DETACH_NO_WAIT is caught only when a transient reader is preempted between its refcount increment
# and its put exactly while a munmap detaches the VMA: about one state in a thousand, so its harnesses
# run 2 s per iteration instead of quick mode's 200 ms.
declare -A EXTRA_FOR=(
  [DETACH_NO_WAIT]="-time 2000"
)

# Deterministic tests (root project, JUnit) per variant: "TestClass#method" for surefire's -Dtest.
# A variant listed here is also counted as caught when that test passes (the test builds its mm
# with the variant explicitly and asserts that the variant's bug shows).
declare -A DETERMINISTIC=(
  [NO_RANGE_RECHECK]="io.github.vmalock.mm.ProtocolVariantKillTest#noRangeRecheckReturnsVmaNotCoveringAddress"
  [NO_MM_RECHECK]="io.github.vmalock.mm.ProtocolVariantKillTest#noMmRecheckReturnsVmaOfAnotherMm"
  [NO_SEQ_RECHECK]="io.github.vmalock.mm.ProtocolVariantKillTest#noSeqRecheckAdmitsReaderIntoWriteLockedVma"
  [DETACH_NO_WAIT]="io.github.vmalock.mm.ProtocolVariantKillTest#detachNoWaitReturnsWithTransientReaderInside"
  [SEED_V2_NULL_DEREF]="io.github.vmalock.mm.ModesAndVariantsTest#seedV2"
  [STALE_SLOW_PATH_VMA]="io.github.vmalock.mm.ModesAndVariantsTest#staleSlowPath"
  [WRITER_NO_WAIT]="io.github.vmalock.mm.ModesAndVariantsTest#writerNoWait"
  [SYNC_NO_WAIT]="io.github.vmalock.rcu.RcuVariantTest#syncNoWaitCaught"
  [NESTED_UNLOCK_EARLY]="io.github.vmalock.rcu.RcuVariantTest#nestedUnlockEarlyCaught"
)

enum_constants() { # class -> constant names, in declaration order
  javap -cp "$jar" "$1" 2>/dev/null | sed -n "s/^ *public static final $1 \([A-Z0-9_]*\);/\1/p"
}

declare -A FAMILY=()
variants=()
for v in $(enum_constants io.github.vmalock.variants.ProtocolVariant); do
  [[ "$v" == FAITHFUL ]] && continue
  FAMILY[$v]=mm
  variants+=("$v")
done
for v in $(enum_constants io.github.vmalock.variants.RcuVariant); do
  [[ "$v" == FAITHFUL ]] && continue
  FAMILY[$v]=rcu
  variants+=("$v")
done
if [[ ${#variants[@]} -eq 0 ]]; then
  echo "kill-matrix: found no variants in $jar (ProtocolVariant, RcuVariant)" >&2
  exit 2
fi
if [[ $# -gt 0 ]]; then
  for v in "$@"; do
    [[ -n "${FAMILY[$v]:-}" ]] || { echo "kill-matrix: unknown variant $v" >&2; exit 2; }
  done
  variants=("$@")
fi

# Extra jcstress options for every variant run: no stress forks by default (the variants are caught
# by interleavings, not by compiler randomization), which halves the run time.
read -r -a extra <<< "${KILL_JCSTRESS_OPTS:--fsm 0}"

work=target/kill-matrix
rm -rf "$work"
mkdir -p "$work"
timeout_s="${KILL_TIMEOUT:-900}"

# The harness columns: every test either subset selects.
java -jar "$jar" -l -t "($MM_ALL)|($RCU_ALL)" 2>/dev/null \
  | grep -E '^io\.github\.vmalock\.jcstress\.' | sort -u > "$work/harnesses.txt"
mapfile -t harnesses < "$work/harnesses.txt"
if [[ ${#harnesses[@]} -eq 0 ]]; then
  echo "kill-matrix: no harness matches the subsets" >&2
  exit 2
fi

# parse LOG -> lines "test<TAB>FORBIDDEN<TAB>count" / "test<TAB>ERROR<TAB>exception", from the
# RUN RESULTS section of a jcstress log.
# Without a RUN RESULTS section (a run that hung and was killed) the per-fork progress entries are
# parsed instead.
parse_log() {
  local whole=0
  grep -q '^RUN RESULTS:' "$1" || whole=1
  awk -v on="$whole" '
    /^RUN RESULTS:/ { on = 1; next }
    !on { next }
    /\[(FAILED|ERROR)\] / {
      flush()
      for (i = 1; i <= NF; i++) if ($i == "[FAILED]" || $i == "[ERROR]") { kind = $i; name = $(i + 1) }
      forbidden = 0; err = ""; next
    }
    name != "" && kind == "[FAILED]" {
      for (i = 3; i <= NF; i++) if ($i == "Forbidden") { n = $(i - 2); gsub(",", "", n); forbidden += n }
    }
    name != "" && kind == "[ERROR]" && err == "" && $1 ~ /^[A-Za-z_$][A-Za-z0-9_$.]*(Exception|Error)(:|$)/ {
      err = $1; sub(":$", "", err); sub(/^.*\./, "", err)
    }
    function flush() {
      if (name == "") return
      if (kind == "[FAILED]") printf "%s\tFORBIDDEN\t%d\n", name, forbidden
      else printf "%s\tERROR\t%s\n", name, (err == "" ? "error" : err)
      name = ""
    }
    END { flush() }
  ' "$1"
}

# Run the deterministic tests once, in the root project.
junit_classes=$(for d in "${DETERMINISTIC[@]}"; do echo "${d%%#*}"; done | sort -u | paste -sd, -)
junit_ran=0
if [[ "${KILL_SKIP_JUNIT:-0}" != 1 ]]; then
  echo "kill-matrix: deterministic tests: mvn -Dtest=$junit_classes test" >&2
  for c in ${junit_classes//,/ }; do rm -f "../target/surefire-reports/TEST-$c.xml"; done
  (cd .. && mvn -B -q -Dinvoker.skip=true -Dspotless.check.skip=true -Dtest="$junit_classes" \
    -Dsurefire.failIfNoSpecifiedTests=false test) > "$work/junit.log" 2>&1
  junit_ran=1
fi
junit_passed() { # class#method -> 0 when the test case ran and passed
  local xml="../target/surefire-reports/TEST-${1%%#*}.xml"
  [[ -f "$xml" ]] || return 1
  awk -v m="${1#*#}" '
    /<testcase / { inside = (index($0, "name=\"" m) > 0 && match($0, "name=\"" m "(\\(\\))?\"") > 0); if (inside) found = 1; if (inside && $0 ~ /\/>/) inside = 0; next }
    inside && /<(failure|error|skipped)/ { bad = 1 }
    inside && /<\/testcase>/ { inside = 0 }
    END { exit !(found && !bad) }
  ' "$xml"
}

declare -A CELL=() FCOUNT=() RAN=() DET=() STATUS=() REGEX=()
caught_total=0
for v in "${variants[@]}"; do
  regex=$(subset_for "$v")
  REGEX[$v]="$regex"
  echo "kill-matrix: $v (${FAMILY[$v]}): run-suite.sh $mode -t '$regex'" >&2
  start=$(date +%s)
  read -r -a vextra <<< "${EXTRA_FOR[$v]:-}"
  JCSTRESS_JVM_PREPEND="-Dvmalock.variant=$v" timeout -k 30 "$timeout_s" ./run-suite.sh "$mode" -t "$regex" \
    "${extra[@]}" "${vextra[@]}" > "$work/$v.out" 2>&1
  rc=$?
  end=$(date +%s)
  cp "target/jcstress-$mode/run.log" "$work/$v.log" 2>/dev/null || : > "$work/$v.log"
  for h in "${harnesses[@]}"; do
    if [[ "$h" =~ ^($regex)$ ]]; then RAN[$v,$h]=1; fi
  done
  hits=0
  while IFS=$'\t' read -r test kind what; do
    [[ -z "$test" ]] && continue
    if [[ "$kind" == FORBIDDEN ]]; then
      FCOUNT[$v,$test]=$(( ${FCOUNT[$v,$test]:-0} + what ))
      CELL[$v,$test]="FORBIDDEN ${FCOUNT[$v,$test]}"
    elif [[ "${CELL[$v,$test]:-}" != FORBIDDEN* ]]; then
      CELL[$v,$test]="ERROR $what"
    fi
    hits=$((hits + 1))
  done < <(parse_log "$work/$v.log")
  note=""
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    note="hang: no result in ${timeout_s} s"
    hits=$((hits + 1))
  elif [[ $hits -eq 0 && $rc -ne 0 ]]; then
    note="run failed (exit $rc, see $work/$v.out)"
  fi
  # The deterministic test, if one is declared (run once, before the loop).
  det="${DETERMINISTIC[$v]:-}"
  det_hit=0
  if [[ -z "$det" ]]; then
    DET[$v]="-"
  elif [[ $junit_ran -eq 0 ]]; then
    DET[$v]="${det##*.} (not run)"
  elif junit_passed "$det"; then
    DET[$v]="${det##*.}: passed"
    det_hit=1
  else
    DET[$v]="${det##*.}: FAILED or missing"
  fi
  if [[ $hits -gt 0 && $det_hit -eq 1 ]]; then
    STATUS[$v]="caught (jcstress and deterministic test)"
  elif [[ $hits -gt 0 ]]; then
    STATUS[$v]="caught (jcstress)"
  elif [[ $det_hit -eq 1 ]]; then
    STATUS[$v]="caught (deterministic test only)"
  else
    STATUS[$v]="NOT CAUGHT"
  fi
  [[ -n "$note" ]] && STATUS[$v]="${STATUS[$v]}; $note"
  [[ $hits -gt 0 || $det_hit -eq 1 ]] && caught_total=$((caught_total + 1))
  echo "kill-matrix: $v: ${STATUS[$v]} ($((end - start)) s)" >&2
done

short() { echo "${1##*.}"; }
{
  echo "# Kill matrix"
  echo
  echo "Generated $(date -u '+%Y-%m-%d %H:%M UTC') by \`$cmdline\` (jcstress mode \`$mode\`),"
  echo "on $(nproc) CPUs. Each variant ran with \`-jvmArgsPrepend -Dvmalock.variant=NAME\`."
  echo
  echo "Harnesses run per variant (a declared subset: those reaching the code the variant changes;"
  echo "\`KILL_ALL=1\` runs all of its family), extra jcstress options: \`${extra[*]:-none}\`:"
  echo
  for v in "${variants[@]}"; do
    echo "- $v: \`-t '${REGEX[$v]}'\`${EXTRA_FOR[$v]:+ plus \`${EXTRA_FOR[$v]}\`}"
  done
  echo
  echo "Cells: \`FORBIDDEN n\` = n forbidden observations (all JVM configurations), \`ERROR X\` = the"
  echo "harness ended with exception X, \`-\` = ran, not caught, \`n/r\` = not run for this variant."
  echo
  printf "| variant |"
  for h in "${harnesses[@]}"; do printf " %s |" "$(short "$h")"; done
  printf " deterministic test | result |\n|---|"
  for h in "${harnesses[@]}"; do printf -- "---|"; done
  printf -- "---|---|\n"
  for v in "${variants[@]}"; do
    printf "| %s |" "$v"
    for h in "${harnesses[@]}"; do
      if [[ -n "${CELL[$v,$h]:-}" ]]; then printf " %s |" "${CELL[$v,$h]}"
      elif [[ -n "${RAN[$v,$h]:-}" ]]; then printf " - |"
      else printf " n/r |"; fi
    done
    printf " %s | %s |\n" "${DET[$v]}" "${STATUS[$v]}"
  done
  echo
  echo "variants: ${#variants[@]}, caught: $caught_total"
} > "$work/matrix.md"
cat "$work/matrix.md"
if [[ -n "$outfile" ]]; then cp "$work/matrix.md" "$outfile"; fi
[[ $caught_total -eq ${#variants[@]} ]]
