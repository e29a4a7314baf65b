#!/usr/bin/env bash
# One side-by-side table (issue #13): each training work at descent 1 thread, 2 threads
# and its default (no --threads: the count adapts to the load), and PyTorch at 1 and 2
# threads, on the quiet machine and with one busy competitor (`while :; do :; done`), as
# seconds an epoch and as ratios to descent's 1 thread under the same condition. The
# last column answers the issue's rule: descent's default ≤ 1.1 × its 1 thread.
#   bench/side_by_side.sh                 (RUNS=3 rounds, all epochs: about 6 minutes,
#                                          and 5 more for the CNN's row)
#   BENCH_QUICK=1 bench/side_by_side.sh   (1 round, 1 epoch of Fashion, 5 of digits, no
#                                          CNN: a smoke run of the script, not figures)
#   BENCH_CNN=0 ...                       without the Fashion CNN's row
#   CNN_EPOCHS=2 ...                      the CNN's epochs (default 1: an epoch is 10 s to
#                                          80 s, so the CNN runs in the first round only)
#   BENCH_TORCH=0 ...                     without the PyTorch columns
#   RUNS=5 ...                            five rounds instead of three
# Works: the Fashion MLP (examples/fashion_mlp.nn against bench/torch_mlp.py; needs
# dataset-fashion-mnist), the Fashion CNN (examples/fashion_cnn.nn against
# bench/torch_cnn.py) and the digits MLP (examples/digits.nn; no PyTorch twin here).
# An epoch's seconds include the test set's evaluation; a cell is the median epoch over
# all rounds (the first epoch of each run dropped when there are more than one). Rounds
# alternate the commands, so that a drift of the machine touches all alike. Run it on an
# otherwise idle machine: the "quiet" rows assume nothing else runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DESCENT:-./descent}
quick=${BENCH_QUICK:-0}
runs=${RUNS:-3}
fashion_epochs=3
digits_epochs=30
cnn=${BENCH_CNN:-1}
cnn_count=${CNN_EPOCHS:-1}
if [ "$quick" = 1 ]; then
	runs=1
	fashion_epochs=1
	digits_epochs=5
	cnn=0
fi
out=$(mktemp -d)
busy=
stop_busy() {
	if [ -n "$busy" ]; then
		kill "$busy" 2>/dev/null || true
		wait "$busy" 2>/dev/null || true
		busy=
	fi
}
trap 'stop_busy; rm -rf "$out"' EXIT
have_torch=0
[ "${BENCH_TORCH:-1}" = 1 ] && /usr/bin/python3 -c "import torch" 2>/dev/null && have_torch=1
have_fashion=0
[ -d /usr/share/datasets/fashion-mnist ] && have_fashion=1

# Appends "work condition column seconds" lines to $out/epochs, one per epoch of a run,
# from the log's cumulative "seconds" (ms resolution); for digits (work "digits") one
# line, the whole run's seconds: its epochs take milliseconds each.
descent_epochs() { # work condition column file epochs [--threads N]
	local work=$1 cond=$2 col=$3 file=$4 epochs=$5
	shift 5
	rm -f "$out/log.jsonl"
	"$bin" run --quiet "$@" --set epochs="$epochs" --set log='"'"$out/log.jsonl"'"' \
		$(grep -q '^ *save' "$file" && echo --set save='"'"$out/w.safetensors"'"') \
		$(grep -q '^ *plot' "$file" && echo --set plot='"'"$out/p.svg"'"') \
		"$file" > /dev/null
	awk -v w="$work" -v c="$cond" -v k="$col" -v n="$epochs" '
		function field(name,   rest) {
			if (!match($0, "\"" name "\": *[0-9.e+-]+")) return -1
			rest = substr($0, RSTART, RLENGTH); sub(/.*: */, "", rest); return rest + 0 }
		{ e = field("epoch"); s = field("seconds") }
		e > 0 && w != "digits" { if (n == 1 || e > 1) print w, c, k, s - last; last = s }
		END { if (w == "digits") print w, c, k, s }' "$out/log.jsonl" >> "$out/epochs"
}

# PyTorch: bench/torch_mlp.py's "epoch E: S s" lines.
torch_epochs() { # work condition column threads epochs
	local work=$1 cond=$2 col=$3 threads=$4 epochs=$5
	/usr/bin/python3 bench/torch_mlp.py "$threads" plain "$epochs" 2>/dev/null \
		| awk -v w="$work" -v c="$cond" -v k="$col" -v n="$epochs" '
			/epoch/ { split($0, a, "epoch "); split(a[2], b, ":"); e = b[1] + 0
				s = $0; sub(/.*: /, "", s); sub(/ s,.*/, "", s)
				if (n == 1 || e > 1) print w, c, k, s }' >> "$out/epochs"
}

cnn_epochs() { # condition column threads|torch1|torch2 epochs
	local cond=$1 col=$2 how=$3 epochs=$4
	case $how in
	torch*) /usr/bin/python3 bench/torch_cnn.py "${how#torch}" "$epochs" 2>/dev/null \
		| awk -v c="$cond" -v k="$col" -v n="$epochs" '
			/epoch/ { split($0, a, "epoch "); split(a[2], b, ":"); e = b[1] + 0
				s = $0; sub(/.*: /, "", s); sub(/ s,.*/, "", s)
				if (n == 1 || e > 1) print "fashion_cnn", c, k, s }' >> "$out/epochs" ;;
	default) descent_epochs fashion_cnn "$cond" "$col" examples/fashion_cnn.nn "$epochs" ;;
	*) descent_epochs fashion_cnn "$cond" "$col" examples/fashion_cnn.nn "$epochs" --threads "$how" ;;
	esac
}

# One round of every command of one condition, in a fixed order; the CNN in the first.
round() { # condition round
	local cond=$1 r=$2
	if [ "$have_fashion" = 1 ]; then
		descent_epochs fashion_mlp "$cond" d1 examples/fashion_mlp.nn "$fashion_epochs" --threads 1
		descent_epochs fashion_mlp "$cond" d2 examples/fashion_mlp.nn "$fashion_epochs" --threads 2
		descent_epochs fashion_mlp "$cond" dd examples/fashion_mlp.nn "$fashion_epochs"
		if [ "$have_torch" = 1 ]; then
			torch_epochs fashion_mlp "$cond" t1 1 "$fashion_epochs"
			torch_epochs fashion_mlp "$cond" t2 2 "$fashion_epochs"
		fi
		if [ "$cnn" = 1 ] && [ "$r" = 1 ]; then
			cnn_epochs "$cond" d1 1 "$cnn_count"
			cnn_epochs "$cond" d2 2 "$cnn_count"
			cnn_epochs "$cond" dd default "$cnn_count"
			if [ "$have_torch" = 1 ]; then
				cnn_epochs "$cond" t1 torch1 "$cnn_count"
				cnn_epochs "$cond" t2 torch2 "$cnn_count"
			fi
		fi
	fi
	descent_epochs digits "$cond" d1 examples/digits.nn "$digits_epochs" --threads 1
	descent_epochs digits "$cond" d2 examples/digits.nn "$digits_epochs" --threads 2
	descent_epochs digits "$cond" dd examples/digits.nn "$digits_epochs"
}

: > "$out/epochs"
echo "side by side: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $runs round(s)$([ "$quick" = 1 ] && echo ', BENCH_QUICK: a smoke run, not figures')"
[ "$have_fashion" = 1 ] || echo "(the Fashion rows need: sudo apt-get install dataset-fashion-mnist)"
[ "$have_torch" = 1 ] || echo "(no PyTorch columns: BENCH_TORCH=0, or python3-torch is missing)"
# Debian's torch calls whatever libblas.so.3 the alternatives give: the reference BLAS
# makes its epochs 10-20 times slower, which would flatter descent
if [ "$have_torch" = 1 ] && ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 | grep -q openblas; then
	echo "(PyTorch runs on the reference BLAS here, an unfair anchor: sudo apt-get install libopenblas0-pthread)"
fi
for cond in quiet busy; do
	if [ "$cond" = busy ]; then
		bash -c 'while :; do :; done' &
		busy=$!
	fi
	for r in $(seq "$runs"); do
		round "$cond" "$r"
	done
	stop_busy
done

# The table: per work and condition, the median epoch of each column, and its ratio to d1.
awk '
	{ key = $1 SUBSEP $2 SUBSEP $3; v[key, ++n[key]] = $4; works[$1] = 1 }
	function median(key,   m, i, j, t, a) {
		m = n[key]
		if (!m) return -1
		for (i = 1; i <= m; i++) a[i] = v[key, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	function cell(work, cond, col,   s, base) {
		s = median(work SUBSEP cond SUBSEP col)
		base = median(work SUBSEP cond SUBSEP "d1")
		if (s < 0) return sprintf("%-17s", "-")
		return sprintf("%7.3f s (%4.2fx)", s, base > 0 ? s / base : 0)
	}
	END {
		split("fashion_mlp fashion_cnn digits", order, " ")
		printf "%-12s %-6s | %-17s | %-17s | %-17s | %-17s | %-17s | %s\n", "s/epoch *",
		       "", "descent 1 thread", "descent 2", "descent default", "PyTorch 1",
		       "PyTorch 2", "default / 1 thread"
		for (o = 1; o <= 3; o++) {
			w = order[o]
			if (!(w in works)) continue
			for (c = 1; c <= 2; c++) {
				cond = c == 1 ? "quiet" : "busy"
				d = median(w SUBSEP cond SUBSEP "dd"); b = median(w SUBSEP cond SUBSEP "d1")
				printf "%-12s %-6s | %s | %s | %s | %s | %s | %s\n", w, cond,
				       cell(w, cond, "d1"), cell(w, cond, "d2"), cell(w, cond, "dd"),
				       cell(w, cond, "t1"), cell(w, cond, "t2"),
				       (d > 0 && b > 0 ? sprintf("%.2f %s", d / b, d / b <= 1.1 ? "ok" : "OVER 1.1") : "-")
			}
			q = median(w SUBSEP "quiet" SUBSEP "dd"); s = median(w SUBSEP "busy" SUBSEP "dd")
			if (q > 0 && s > 0)
				printf "%-12s busy/quiet, descent default: %.2fx\n", w, s / q
		}
	}' "$out/epochs"
cnn_note=
[ "$cnn" = 1 ] && cnn_note="; fashion_cnn: $cnn_count epoch(s), in the first round only"
echo "(* digits: seconds of the whole run, $digits_epochs epochs$cnn_note; in brackets: the ratio to descent at 1 thread under the same condition; busy: one other process spinning on a core)"
