# Helpers the benchmark scripts share; sourced, not run. Each script sets `root` (the repository) first.

# publish_section SECTION OUT WRITE_RESULTS: prints the section file, copies it to OUT, and appends it (after a blank
# line) to benchmarks/RESULTS.md when WRITE_RESULTS is 1; says on stderr where it went.
publish_section() {
    local section=$1 out=$2 write_results=$3 name
    name=$(basename -- "$0" .sh)
    cat -- "$section"
    mkdir -p -- "$(dirname -- "$out")"
    cp -- "$section" "$out"
    if [[ $write_results -eq 1 ]]; then
        { echo; cat -- "$section"; } >>"$root/benchmarks/RESULTS.md"
        echo "$name: appended to benchmarks/RESULTS.md; also in $out" >&2
    else
        echo "$name: written to $out" >&2
    fi
}
