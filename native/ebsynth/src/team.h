// Internal: a small fork-join thread team on POSIX threads, used instead of OpenMP so that the shipped library
// needs no OpenMP runtime (libgomp.so.1 is not installed everywhere, and the one from a current GCC needs a current
// glibc; its static archive is not position-independent). See the Makefile for the glibc symbol versions.
#ifndef RERENDER_SYNTH_TEAM_H
#define RERENDER_SYNTH_TEAM_H

#include <pthread.h>

#include <atomic>
#include <exception>
#include <vector>

namespace rr {

class Team {
public:
	/** A team of up to n members: the calling thread plus n - 1 workers (fewer if a thread cannot be started). */
	explicit Team(int n);
	~Team();
	Team(const Team &) = delete;
	Team &operator=(const Team &) = delete;

	/** Members actually available (>= 1). */
	int size() const { return 1 + (int)workers_.size(); }

	/**
	 * Calls body(i, t) for every i in [0, count) and returns when all calls are done. Items are handed out one at a
	 * time in increasing order to whichever member is free (t = that member, 0 .. size() - 1; the caller is 0). If a
	 * call throws, no further items are started and the first exception is rethrown here (after all members stop).
	 */
	template <class F>
	void run(int count, F &&body) {
		if (count <= 0) return;
		if (workers_.empty() || count == 1) {
			for (int i = 0; i < count; i++) body(i, 0);
			return;
		}
		auto thunk = [](void *ctx, int i, int t) { (*static_cast<F *>(ctx))(i, t); };
		dispatch(count, thunk, &body);
	}

private:
	using Fn = void (*)(void *, int, int);

	void dispatch(int count, Fn fn, void *ctx);
	void work(int member);
	static void *worker_main(void *arg);

	struct Start {
		Team *team;
		int member;
	};

	std::vector<pthread_t> workers_;
	std::vector<Start> starts_;
	pthread_mutex_t mutex_;
	pthread_cond_t wake_;   // workers wait here for a new job (or stop)
	pthread_cond_t done_;   // the caller waits here for the workers to finish a job
	unsigned long generation_ = 0;
	bool stop_ = false;
	int busy_ = 0;          // workers still in the current job
	// the current job
	Fn fn_ = nullptr;
	void *ctx_ = nullptr;
	int count_ = 0;
	std::atomic<int> next_{0};
	std::atomic<bool> failed_{false};
	std::exception_ptr error_;
};

}  // namespace rr

#endif
