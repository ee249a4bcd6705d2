// Internal: the fork-join thread team (see team.h).
#include "team.h"

namespace rr {

namespace {

/** Holds a mutex for a scope. */
struct Lock {
	pthread_mutex_t &m;
	explicit Lock(pthread_mutex_t &mutex) : m(mutex) { pthread_mutex_lock(&m); }
	~Lock() { pthread_mutex_unlock(&m); }
};

}  // namespace

Team::Team(int n) {
	pthread_mutex_init(&mutex_, nullptr);
	pthread_cond_init(&wake_, nullptr);
	pthread_cond_init(&done_, nullptr);
	if (n <= 1) return;
	starts_.resize(n - 1);  // never reallocated after this: the workers keep pointers into it
	workers_.reserve(n - 1);
	for (int m = 1; m < n; m++) {
		starts_[m - 1] = Start{this, m};
		pthread_t th;
		// a thread that cannot be started (limits): run with the members we have; results do not depend on it
		if (pthread_create(&th, nullptr, worker_main, &starts_[m - 1]) != 0) break;
		workers_.push_back(th);
	}
}

Team::~Team() {
	{
		Lock lock(mutex_);
		stop_ = true;
		pthread_cond_broadcast(&wake_);
	}
	for (pthread_t th : workers_) pthread_join(th, nullptr);
	pthread_cond_destroy(&done_);
	pthread_cond_destroy(&wake_);
	pthread_mutex_destroy(&mutex_);
}

void *Team::worker_main(void *arg) {
	Start *s = static_cast<Start *>(arg);
	Team *team = s->team;
	unsigned long seen = 0;
	for (;;) {
		{
			Lock lock(team->mutex_);
			while (!team->stop_ && team->generation_ == seen) pthread_cond_wait(&team->wake_, &team->mutex_);
			if (team->stop_) return nullptr;
			seen = team->generation_;
		}
		team->work(s->member);
		Lock lock(team->mutex_);
		if (--team->busy_ == 0) pthread_cond_signal(&team->done_);
	}
}

void Team::work(int member) {
	for (;;) {
		if (failed_.load(std::memory_order_relaxed)) return;
		int i = next_.fetch_add(1, std::memory_order_relaxed);
		if (i >= count_) return;
		try {
			fn_(ctx_, i, member);
		}
		catch (...) {
			Lock lock(mutex_);
			if (!error_) error_ = std::current_exception();
			failed_.store(true, std::memory_order_relaxed);
		}
	}
}

void Team::dispatch(int count, Fn fn, void *ctx) {
	{
		Lock lock(mutex_);
		fn_ = fn;
		ctx_ = ctx;
		count_ = count;
		next_.store(0, std::memory_order_relaxed);
		failed_.store(false, std::memory_order_relaxed);
		error_ = nullptr;
		busy_ = (int)workers_.size();
		generation_++;
		pthread_cond_broadcast(&wake_);
	}
	work(0);
	std::exception_ptr error;
	{
		Lock lock(mutex_);
		while (busy_ > 0) pthread_cond_wait(&done_, &mutex_);
		error = error_;
		error_ = nullptr;
	}
	if (error) std::rethrow_exception(error);
}

}  // namespace rr
