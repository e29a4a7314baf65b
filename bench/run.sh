#!/usr/bin/env bash
# Benchmarks of descent. Figures go to bench/RESULTS.md by hand, with the machine, the
# command and the median of several runs.
#   parse+check: `descent check` of a generated 2,000-line file (bench/gen_big.sh), and
#                of a 20,000-line one to see how it scales.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DESCENT:-./descent}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for lines in 2000 20000; do
	bench/gen_big.sh "$lines" > "$out/big$lines.nn"
	"$bin" check "$out/big$lines.nn" > /dev/null
	echo "parse+check, $(wc -l < "$out/big$lines.nn") lines, $(wc -c < "$out/big$lines.nn") bytes:"
	if command -v hyperfine > /dev/null; then
		hyperfine -N --warmup 3 --runs 30 --style basic "$bin check $out/big$lines.nn" 2>&1 \
			| grep -E "Time|Range"
	else
		times=()
		for i in $(seq 21); do
			start=$(date +%s%N)
			"$bin" check "$out/big$lines.nn" > /dev/null
			times+=($(( ($(date +%s%N) - start) / 1000 )))
		done
		median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 11p)
		echo "  median of 21 runs: ${median} µs (install hyperfine for mean ± σ)"
	fi
	/usr/bin/time -f "  peak RSS %M KiB" "$bin" check "$out/big$lines.nn" > /dev/null
done

# Fashion-MNIST MLP against PyTorch (bench/torch_mlp.py), when both are installed: the
# plain network, then with a batchnorm and a dropout layer (bench/fashion_regularized.nn).
if [ -d /usr/share/datasets/fashion-mnist ]; then
	for variant in plain regularized; do
		file=examples/fashion_mlp.nn
		[ "$variant" = regularized ] && file=bench/fashion_regularized.nn
		for threads in 1 2; do
			/usr/bin/time -f "  descent $variant threads $threads: peak RSS %M KiB" \
				"$bin" run --quiet --threads "$threads" "$file" > "$out/table"
			awk -v t="$threads" -v v="$variant" 'NR > 2 {
				printf "descent %s threads %d epoch %d: %.3f s, test_acc %s\n",
				v, t, $1, $NF - last, $(NF - 1); last = $NF }' "$out/table"
			if /usr/bin/python3 -c "import torch" 2>/dev/null; then
				/usr/bin/python3 bench/torch_mlp.py "$threads" "$variant" 2>/dev/null
			fi
		done
	done
else
	echo "Fashion-MNIST comparison skipped: sudo apt-get install dataset-fashion-mnist"
fi
