// Internal: what the OpenMP loops of the library share. The loops are plain `#pragma omp parallel for` (synth_cpu.cpp);
// the OpenMP runtime is the system's libgomp.so.1, linked dynamically (see the Makefile for the symbol versions).
//
// An exception must not leave an OpenMP region (the runtime would call std::terminate and take the JVM down), so every
// loop body that can throw catches into a ParallelError; the remaining iterations are skipped and the first exception
// is rethrown on the calling thread after the region:
//
//   ParallelError err;
//   #pragma omp parallel for ...
//   for (int i = 0; i < n; i++) {
//   	if (err.failed()) continue;
//   	try { body(i); } catch (...) { err.capture(); }
//   }
//   err.rethrow();
#ifndef RERENDER_SYNTH_PARALLEL_H
#define RERENDER_SYNTH_PARALLEL_H

#include <atomic>
#include <exception>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace rr {

/** The first exception thrown in the iterations of one parallel loop. */
class ParallelError {
public:
	/** Whether an iteration has failed (the others may skip their work). */
	bool failed() const { return failed_.load(std::memory_order_relaxed); }

	/** In a catch block: keeps the exception being handled if it is the first one. */
	void capture() noexcept {
		if (!failed_.exchange(true, std::memory_order_acq_rel)) error_ = std::current_exception();
	}

	/** After the region (its closing barrier orders the capture before this): rethrows the first exception, if any. */
	void rethrow() {
		if (!error_) return;
		std::exception_ptr e = error_;
		error_ = nullptr;
		failed_.store(false, std::memory_order_relaxed);
		std::rethrow_exception(e);
	}

private:
	std::atomic<bool> failed_{false};
	std::exception_ptr error_;
};

/** The calling thread's number in the current OpenMP team (0 outside a parallel region or without OpenMP). */
inline int thread_num() {
#ifdef _OPENMP
	return omp_get_thread_num();
#else
	return 0;
#endif
}

}  // namespace rr

#endif
