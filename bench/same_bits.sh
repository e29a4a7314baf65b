#!/bin/sh
# same_bits.sh — checks that two descent binaries train to the same bits (issue #13's rule
# for speed work): the log (every field but `seconds`), the saved weights and the plot of
# examples/digits.nn, examples/iris.nn, and with Fashion-MNIST installed
# examples/fashion_mlp.nn and examples/fashion_cnn.nn (1 epoch each), at --threads 1 and 2.
#   bench/same_bits.sh OLD NEW     e.g. bench/same_bits.sh /tmp/descent-base ./descent
# Exit status 0 when all are identical, 1 otherwise (the differing files are named).
set -u
old=${1:?usage: same_bits.sh OLD NEW}
new=${2:?usage: same_bits.sh OLD NEW}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
cases="digits iris"
# the Fashion cases (one epoch each; the CNN's takes about a minute a side) need Debian's
# dataset-fashion-mnist
[ -d /usr/share/datasets/fashion-mnist ] && cases="$cases fashion_mlp fashion_cnn"
for case in $cases; do
	extra=
	case $case in fashion_*) extra="--set epochs=1" ;; esac
	for threads in 1 2; do
		for side in old new; do
			eval bin=\$$side
			# both sides write to the same paths, which the weights' metadata records
			# (the run's --set values), then the files move to the side's names
			out="$tmp/$case-$threads-$side" run="$tmp/run"
			# shellcheck disable=SC2086
			if ! "$bin" run "$here/examples/$case.nn" --threads "$threads" --quiet $extra \
				--set "log=\"$run.jsonl\"" --set "save=\"$run.safetensors\"" \
				--set "plot=\"$run.svg\"" \
				>"$out.table" 2>"$out.err"; then
				echo "$case threads $threads: $side failed"; cat "$out.err"; status=1
				continue
			fi
			for ext in jsonl safetensors svg; do mv "$run.$ext" "$out.$ext"; done
			sed 's/"seconds": [0-9.e+-]*//' "$out.jsonl" >"$out.log"
		done
		for ext in log safetensors svg; do
			if cmp -s "$tmp/$case-$threads-old.$ext" "$tmp/$case-$threads-new.$ext"; then
				echo "same      $case --threads $threads .$ext"
			else
				echo "DIFFERENT $case --threads $threads .$ext"; status=1
			fi
		done
	done
done
exit $status
