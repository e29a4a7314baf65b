#!/usr/bin/env bash
# The Fashion-MNIST CNN (examples/fashion_cnn.nn, issue #12) against the same network in
# PyTorch (bench/torch_cnn.py), one after the other in one run, at 1 and 2 threads: each
# epoch's seconds (training and the test set's evaluation) and test accuracy, and each
# process's peak RSS. Where descent's time goes, kernel by kernel (conv forward, backward
# weights, backward data, pooling, BatchNorm2d): build/bench/conv, which make bench runs
# next.
#   bench/cnn.sh [EPOCHS]       (default 2; the issue's floor compares the best epochs)
# Needs dataset-fashion-mnist (and python3-torch for the comparison). Takes minutes: run
# it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DESCENT:-./descent}
epochs=${1:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [ ! -d /usr/share/datasets/fashion-mnist ]; then
	echo "CNN comparison skipped: sudo apt-get install dataset-fashion-mnist"
	exit 0
fi
for threads in 1 2; do
	/usr/bin/time -f "descent cnn threads $threads: peak RSS %M KiB" \
		"$bin" run --quiet --threads "$threads" --set epochs="$epochs" \
		--set log='"'"$out/cnn.jsonl"'"' --set save='"'"$out/cnn.safetensors"'"' \
		examples/fashion_cnn.nn > "$out/table"
	awk -v t="$threads" 'NR > 2 && $1 ~ /^[0-9]+$/ {
		printf "descent cnn threads %d epoch %d: %.3f s, test_acc %s\n",
		t, $1, $NF - last, $(NF - 1); last = $NF }' "$out/table"
	if /usr/bin/python3 -c "import torch" 2>/dev/null; then
		/usr/bin/python3 bench/torch_cnn.py "$threads" "$epochs" 2>/dev/null
	fi
done
