// Internal: our definitions of libstdc++'s std::__throw_* helpers (what the standard containers and strings call to
// throw), so that the static libstdc++ link does not pull libstdc++.a's functexcept.o. That object brings
// std::logic_error & co., which bring the reference-counted std::string and with it std::random_device, whose code
// needs glibc 2.36 (arc4random), 2.25 (getentropy) and 2.32 (__libc_single_threaded): the library would no longer
// load on older systems (see the Makefile; abi-check fails if anything pulls that object again).
//
// The exceptions that live in libsupc++ are thrown as themselves (std::bad_alloc, std::bad_array_new_length,
// std::bad_cast, std::bad_typeid, std::bad_exception). The std::logic_error / std::runtime_error family is thrown as
// rr::LibraryError, a std::exception whose what() names the standard type and the message. Our code catches only
// std::bad_alloc, std::exception and (...), so the behaviour is the same (synth_api.cpp, synth_jni.cpp).
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <new>
#include <typeinfo>

namespace rr {
namespace {

class LibraryError : public std::exception {
public:
	LibraryError(const char *type, const char *msg) { std::snprintf(text_, sizeof text_, "%s: %s", type, msg ? msg : ""); }
	const char *what() const noexcept override { return text_; }

private:
	char text_[256];
};

}  // namespace
}  // namespace rr

namespace std {

void __throw_bad_alloc() { throw bad_alloc(); }
void __throw_bad_array_new_length() { throw bad_array_new_length(); }
void __throw_bad_cast() { throw bad_cast(); }
void __throw_bad_typeid() { throw bad_typeid(); }
void __throw_bad_exception() { throw bad_exception(); }
void __throw_logic_error(const char *m) { throw rr::LibraryError("std::logic_error", m); }
void __throw_domain_error(const char *m) { throw rr::LibraryError("std::domain_error", m); }
void __throw_invalid_argument(const char *m) { throw rr::LibraryError("std::invalid_argument", m); }
void __throw_length_error(const char *m) { throw rr::LibraryError("std::length_error", m); }
void __throw_out_of_range(const char *m) { throw rr::LibraryError("std::out_of_range", m); }
void __throw_runtime_error(const char *m) { throw rr::LibraryError("std::runtime_error", m); }
void __throw_range_error(const char *m) { throw rr::LibraryError("std::range_error", m); }
void __throw_overflow_error(const char *m) { throw rr::LibraryError("std::overflow_error", m); }
void __throw_underflow_error(const char *m) { throw rr::LibraryError("std::underflow_error", m); }

void __throw_out_of_range_fmt(const char *fmt, ...) {
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	throw rr::LibraryError("std::out_of_range", buf);
}

}  // namespace std
