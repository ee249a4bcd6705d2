// Internal: the backend table. A CUDA backend adds an entry here (and a file of its own).
#ifndef RERENDER_SYNTH_BACKEND_H
#define RERENDER_SYNTH_BACKEND_H

#include <string>

#include "rerender_synth.h"

namespace rr {

/** Everything a backend needs; already validated by rr_synth_run. */
struct Job {
	const rr_synth_input &in;
	const rr_synth_params &params;
	rr_synth_output &out;
	rr_progress_fn progress;
	void *user;
	const volatile int *cancel;
	int levels;  // resolved pyramid level count (>= 1)
};

struct Backend {
	const char *name;
	bool (*available)();
	/** Runs the job; on failure returns a status and sets message. May throw std::bad_alloc. */
	rr_status (*run)(const Job &job, std::string &message);
};

/** The backend for an enum value, or nullptr if it is not compiled in. */
const Backend *find_backend(rr_backend which);

extern const Backend cpu_backend;

}  // namespace rr

#endif
