#!/usr/bin/env bash
# Times the native synthesis on the inputs PatchSynthesisBenchmark writes (target/synth-bench/WxH/),
# each configuration in its own process (so its peak RSS is its own), pinned to as many cores as
# it has threads. Optionally times an upstream Ebsynth CLI binary on the same inputs (built
# outside this project; see README), writing its outputs to OUTDIR for a PSNR check (UP_REPS runs, default 1).
#   test/bench.sh SYNTH_BENCH_BINARY DATA_DIR [UPSTREAM_EBSYNTH_BINARY OUTDIR]
set -u
bin=$1 data=$2 up=${3:-} outdir=${4:-/tmp}
cores() { seq -s, 0 $(($1 - 1)); }
for dir in "$data"/*x*; do
	size=$(basename "$dir")
	taskset -c 0 "$bin" "$dir" 1 1 3
	for t in 1 2 4; do taskset -c "$(cores $t)" "$bin" "$dir" $t 0 3; done
	if [ -n "$up" ]; then
		for t in 1 2; do
			args=(-style "$dir/style.png"
				-guide "$dir/src_colour.png" "$dir/tgt_colour.png" -weight 6
				-guide "$dir/src_edge.png" "$dir/tgt_edge.png" -weight 0.5
				-guide "$dir/src_temporal.png" "$dir/tgt_temporal.png" -weight 0.5
				-guide "$dir/src_positional.png" "$dir/tgt_positional.png" -weight 2
				-patchsize 5 -uniformity 3500 -searchvoteiters 12 -patchmatchiters 6 -stopthreshold 5
				-backend cpu -output "$outdir/upstream_${size}_t$t.png")
			best=""
			for rep in $(seq 1 "${UP_REPS:-1}"); do
				t0=$(date +%s%N)
				OMP_NUM_THREADS=$t taskset -c "$(cores $t)" "$up" "${args[@]}" > /dev/null || echo "upstream failed"
				ms=$(( ($(date +%s%N) - t0) / 1000000 ))
				best="$best $ms"
			done
			echo "$size | threads $t | upstream    | runs (ms):$best"
		done
	fi
done
