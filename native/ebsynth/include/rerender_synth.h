/*
 * rerender_synth.h - guided example-based synthesis (Ebsynth-style), C interface.
 *
 * Our own implementation of the method of "Stylizing Video by Example" (Jamriska et al.,
 * SIGGRAPH 2019): coarse-to-fine PatchMatch with a uniformity (occurrence) term and
 * plain voting, driven by any number of guide channels.
 *
 * All buffers are owned by the caller. Images are 8-bit, row-major, channel-interleaved:
 * byte  c + C*(x + W*y)  is channel c of pixel (x, y) of a W x H image with C channels.
 * The library keeps no global state: several syntheses may run at once from different
 * threads; each uses params.threads OpenMP threads of its own.
 */
#ifndef RERENDER_SYNTH_H
#define RERENDER_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The JNI library's version; NativeLibrary.VERSION (Java) must equal it (NativeLibraryTest checks). Bump both when
 * the JNI surface or the results change. 1.1.0: EbsynthNative.selfCheck; no OpenMP runtime needed. */
#define RR_SYNTH_VERSION "1.1.0"

/** Compute backends. Only the CPU backend exists; the table leaves room for CUDA. */
typedef enum {
	RR_BACKEND_CPU = 0,
	RR_BACKEND_CUDA = 1
} rr_backend;

typedef enum {
	RR_OK = 0,
	RR_CANCELLED = 1,            /* cancel flag set or progress callback returned non-zero */
	RR_INVALID_ARGUMENT = 2,     /* message says which */
	RR_BACKEND_UNAVAILABLE = 3,
	RR_OUT_OF_MEMORY = 4,
	RR_INTERNAL_ERROR = 5
} rr_status;

typedef struct {
	int patch_size;              /* odd, 3..31; default 5 */
	float uniformity_weight;     /* >= 0; default 3500 */
	int pyramid_levels;          /* 0 = as many as fit (coarsest smaller side >= 2*patch_size+1); default 0 */
	int search_vote_iterations;  /* >= 1; default 12 */
	int patchmatch_iterations;   /* >= 1; default 6 */
	int stop_threshold;          /* 0..255; pixels whose vote changed less stop improving; default 5 */
	uint64_t seed;               /* equal seeds give bitwise-equal results for any thread count; default 0 */
	int threads;                 /* OpenMP threads, >= 1; default 1 */
	rr_backend backend;          /* default RR_BACKEND_CPU */
	int full_search;             /* 1: random search from the whole image at every level (plain PatchMatch,
	                                the benchmark baseline); 0 (default): finer levels start at 8*patch_size */
} rr_synth_params;

typedef struct {
	int source_width, source_height;   /* size of the style exemplar and of every source guide */
	int target_width, target_height;   /* size of every target guide and of the output */
	int style_channels;                /* >= 1 */
	const uint8_t *style;              /* source_width*source_height*style_channels */
	const float *style_weights;        /* style_channels weights (finite, >= 0) */
	int guide_channels;                /* >= 1: all guides' channels, concatenated per pixel */
	const uint8_t *source_guides;      /* source_width*source_height*guide_channels */
	const uint8_t *target_guides;      /* target_width*target_height*guide_channels */
	const float *guide_weights;        /* guide_channels weights (finite, >= 0, not all zero) */
} rr_synth_input;

typedef struct {
	uint8_t *image;   /* target_width*target_height*style_channels bytes (required) */
	float *error;     /* target_width*target_height floats or NULL: per-pixel weighted SSD of its patch */
} rr_synth_output;

/**
 * Called on the calling thread between PatchMatch sweeps (level counts from 0 = coarsest).
 * Return non-zero to cancel.
 */
typedef int (*rr_progress_fn)(void *user, int level, int levels, int iteration, int iterations);

/** Fills the defaults listed above. */
void rr_synth_params_init(rr_synth_params *params);

/** Non-zero if the backend can run here. */
int rr_synth_backend_available(rr_backend backend);

/** Number of pyramid levels that fit for these sizes (0 if even the full size is too small). */
int rr_synth_max_levels(int source_width, int source_height, int target_width, int target_height, int patch_size);

/**
 * Runs one synthesis. progress may be NULL; cancel may be NULL, else it is polled every
 * image row (set *cancel non-zero from any thread to stop). On failure, message (if not
 * NULL) receives a NUL-terminated explanation. Never throws.
 */
rr_status rr_synth_run(const rr_synth_input *input, const rr_synth_params *params, rr_synth_output *output,
	rr_progress_fn progress, void *user, const volatile int *cancel, char *message, size_t message_size);

const char *rr_synth_version(void);

#ifdef __cplusplus
}
#endif
#endif
