#!/usr/bin/env bash
# Runs the jcstress suite and fails on any FORBIDDEN outcome, any error, or a run that
# matched no test (jcstress exits 0 on "FATAL: No matching tests", so the log is checked).
#
#   run-suite.sh quick            the test command's short mode: -m quick, no split compilation, one pinned JVM flag set
#   run-suite.sh default          -m default, one pinned JVM flag set (the issue's acceptance run)
#   run-suite.sh full             -m default under every JVM flag set jcstress chooses (long mode)
#   run-suite.sh MODE -t REGEX    any of the above, restricted to matching harnesses
#
# Extra arguments after MODE go to jcstress unchanged. JCSTRESS_JVM_ARGS overrides the pinned
# flag set; JCSTRESS_JVM_PREPEND is passed as -jvmArgsPrepend (for -Dvmalock.variant=NAME).
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-quick}"
shift || true
jar=target/jcstress.jar
[[ -f "$jar" ]] || { echo "run-suite: $jar is missing; run 'mvn package' in jcstress/ first" >&2; exit 2; }

pinned="${JCSTRESS_JVM_ARGS:--XX:+UseParallelGC -XX:-UseBiasedLocking -Xmx512m}"
# Biased locking is dropped from the pinned set: on JDKs that still have the flag (17 deprecates it)
# jcstress itself runs every configuration with -XX:+UseBiasedLocking and -XX:-UseBiasedLocking.
pinned="${pinned/-XX:-UseBiasedLocking /}"
args=()
case "$mode" in
  quick)   args+=(-m quick -sc false -jvmArgs "$pinned") ;;
  sanity)  args+=(-m sanity -jvmArgs "$pinned") ;;
  default) args+=(-m default -jvmArgs "$pinned") ;;
  full)    args+=(-m default) ;;
  *) echo "run-suite: unknown mode '$mode' (quick, sanity, default, full)" >&2; exit 2 ;;
esac
if [[ -n "${JCSTRESS_JVM_PREPEND:-}" ]]; then
  args+=(-jvmArgsPrepend "$JCSTRESS_JVM_PREPEND")
fi
results="target/jcstress-${mode}"
mkdir -p "$results"
log="$results/run.log"
start=$(date +%s)
set +e
java -jar "$jar" "${args[@]}" -r "$results" "$@" 2>&1 | tee "$log" | grep -E --line-buffered '\[(FAILED|ERROR)\]|FATAL|RUN RESULTS|Failed tests|Error tests|Interesting tests|All remaining tests|^\(Results:'
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s)
echo "jcstress ($mode): exit $rc in $((end - start)) s; log $log"
fail=0
if grep -q 'FATAL' "$log"; then echo "jcstress: FATAL in the log (no matching tests or a harness failure)" >&2; fail=1; fi
if ! grep -q 'Failed tests: No matches' "$log"; then echo "jcstress: some harness reported a FORBIDDEN outcome" >&2; fail=1; fi
if ! grep -q 'Error tests: No matches' "$log"; then echo "jcstress: some harness ended in an error" >&2; fail=1; fi
if ! grep -q 'RUN RESULTS' "$log"; then echo "jcstress: the run did not finish" >&2; fail=1; fi
if [[ $rc -ne 0 ]]; then echo "jcstress: exit status $rc" >&2; fail=1; fi
if [[ $fail -ne 0 ]]; then
  sed -n '/RUN RESULTS/,$p' "$log" | head -200 >&2
  exit 1
fi
echo "jcstress ($mode): PASSED ($(grep -E 'All remaining tests|Interesting tests' "$log" | tr -s ' ' | tr '\n' ';'))"
