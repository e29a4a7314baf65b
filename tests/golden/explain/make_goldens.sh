#!/bin/sh
# Regenerates the golden outputs of `descent explain` (tests/test_explain.c compares them
# byte for byte). Run from the repository's root after `make`; read the diff before
# committing: every number in them is one the course's formulas give (see each .nn file).
set -e
dir=tests/golden/explain
./descent explain 'adamw(lr = 1e-3, wd = 0.01)' > $dir/adamw.txt
./descent explain 'momentum(lr = 0.01, gamma = 0.9)' > $dir/momentum.txt
./descent explain 'warmup(1 epochs) then cosine_restart(T0 = 3 epochs, T_mult = 2)' \
	--lr 1e-3 --steps 4220 --steps-per-epoch 422 > $dir/schedule.txt
./descent explain 'one_cycle(100)' > $dir/one_cycle.txt
./descent explain $dir/mlp.nn > $dir/mlp.txt 2>/dev/null
./descent explain $dir/cnn.nn > $dir/cnn.txt 2>/dev/null
./descent explain examples/teaching/adagrad.nn > $dir/adagrad.txt
./descent explain examples/teaching/l2_vs_wd.nn > $dir/l2_vs_wd.txt
